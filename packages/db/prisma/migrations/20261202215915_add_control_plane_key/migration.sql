-- CreateTable
CREATE TABLE "ControlPlaneKey" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "publicKey" TEXT NOT NULL,
    "privateKey" BYTEA NOT NULL,
    "kekId" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ControlPlaneKey_pkey" PRIMARY KEY ("id")
);
