-- CreateEnum
CREATE TYPE "AgentUpgradeStatus" AS ENUM ('PENDING', 'IN_PROGRESS', 'SUCCEEDED', 'ROLLED_BACK', 'FAILED');

-- CreateTable
CREATE TABLE "AgentUpgrade" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "teamId" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "fromVersion" TEXT,
    "toVersion" TEXT NOT NULL,
    "executableSha256" TEXT,
    "bundleSha256" TEXT,
    "deadlineSeconds" INTEGER NOT NULL,
    "status" "AgentUpgradeStatus" NOT NULL DEFAULT 'PENDING',
    "detail" TEXT,
    "requestedById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "AgentUpgrade_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AgentUpgrade_hostId_createdAt_idx" ON "AgentUpgrade"("hostId", "createdAt");

-- CreateIndex
CREATE INDEX "AgentUpgrade_teamId_createdAt_idx" ON "AgentUpgrade"("teamId", "createdAt");

-- AddForeignKey
ALTER TABLE "AgentUpgrade" ADD CONSTRAINT "AgentUpgrade_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgentUpgrade" ADD CONSTRAINT "AgentUpgrade_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;
