-- AlterTable
ALTER TABLE "Host" ADD COLUMN     "approvedAt" TIMESTAMPTZ(3),
ADD COLUMN     "awaitingApproval" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Team" ADD COLUMN     "approveNewHosts" BOOLEAN NOT NULL DEFAULT false;
