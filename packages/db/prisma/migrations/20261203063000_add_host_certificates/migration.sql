-- AlterTable
ALTER TABLE "Host" ADD COLUMN     "certificates" JSONB,
ADD COLUMN     "certificatesAt" TIMESTAMPTZ(3);
