-- CreateEnum
CREATE TYPE "LogStreamStatus" AS ENUM ('PENDING', 'RUNNING', 'CLOSED');

-- CreateTable
CREATE TABLE "LogStream" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "teamId" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "workflowId" UUID NOT NULL,
    "workflow" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "options" JSONB NOT NULL,
    "status" "LogStreamStatus" NOT NULL DEFAULT 'PENDING',
    "openedById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "viewerSeenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "agentSeenAt" TIMESTAMPTZ(3),
    "closedAt" TIMESTAMPTZ(3),
    "endReason" TEXT,

    CONSTRAINT "LogStream_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LogChunk" (
    "streamId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "lines" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LogChunk_pkey" PRIMARY KEY ("streamId","seq")
);

-- CreateIndex
CREATE INDEX "LogStream_hostId_status_idx" ON "LogStream"("hostId", "status");

-- CreateIndex
CREATE INDEX "LogStream_status_viewerSeenAt_idx" ON "LogStream"("status", "viewerSeenAt");

-- AddForeignKey
ALTER TABLE "LogChunk" ADD CONSTRAINT "LogChunk_streamId_fkey" FOREIGN KEY ("streamId") REFERENCES "LogStream"("id") ON DELETE CASCADE ON UPDATE CASCADE;
