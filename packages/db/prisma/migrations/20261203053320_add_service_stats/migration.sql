-- AlterTable
ALTER TABLE "Host" ADD COLUMN     "unmanaged" JSONB;

-- AlterTable
ALTER TABLE "ServiceHealth" ADD COLUMN     "stats" JSONB,
ADD COLUMN     "statsHistory" JSONB;
