-- CreateEnum
CREATE TYPE "PushDeliveryStatus" AS ENUM ('DEPLOYED', 'FAILED', 'PING', 'IGNORED_BRANCH', 'IGNORED_EVENT', 'DISABLED', 'REJECTED');

-- CreateTable
CREATE TABLE "PushHook" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "teamId" UUID NOT NULL,
    "workflowId" UUID NOT NULL,
    "secretCiphertext" BYTEA NOT NULL,
    "secretKeyId" TEXT NOT NULL,
    "branches" TEXT[],
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "PushHook_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PushDelivery" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "hookId" UUID NOT NULL,
    "provider" TEXT NOT NULL,
    "deliveryId" TEXT,
    "status" "PushDeliveryStatus" NOT NULL,
    "ref" TEXT,
    "commit" TEXT,
    "deploymentId" UUID,
    "error" TEXT,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PushDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "PushHook_workflowId_key" ON "PushHook"("workflowId");

-- CreateIndex
CREATE INDEX "PushHook_teamId_idx" ON "PushHook"("teamId");

-- CreateIndex
CREATE INDEX "PushDelivery_hookId_receivedAt_idx" ON "PushDelivery"("hookId", "receivedAt");

-- CreateIndex
CREATE UNIQUE INDEX "PushDelivery_hookId_deliveryId_key" ON "PushDelivery"("hookId", "deliveryId");

-- AddForeignKey
ALTER TABLE "PushHook" ADD CONSTRAINT "PushHook_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PushHook" ADD CONSTRAINT "PushHook_workflowId_fkey" FOREIGN KEY ("workflowId") REFERENCES "Workflow"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PushDelivery" ADD CONSTRAINT "PushDelivery_hookId_fkey" FOREIGN KEY ("hookId") REFERENCES "PushHook"("id") ON DELETE CASCADE ON UPDATE CASCADE;
