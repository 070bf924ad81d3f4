-- AlterEnum
ALTER TYPE "DeploymentStatus" ADD VALUE 'AWAITING_APPROVAL';

-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "approvalEnvironments" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "approvalExpiresAt" TIMESTAMPTZ(3),
ADD COLUMN     "approvalRole" "Role";

-- AlterTable
ALTER TABLE "Environment" ADD COLUMN     "approvalTtlMinutes" INTEGER NOT NULL DEFAULT 60,
ADD COLUMN     "approverRole" "Role" NOT NULL DEFAULT 'ADMIN',
ADD COLUMN     "requiresApproval" BOOLEAN NOT NULL DEFAULT false;
