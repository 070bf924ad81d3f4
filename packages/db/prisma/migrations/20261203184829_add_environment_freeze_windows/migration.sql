-- AlterTable
ALTER TABLE "Environment" ADD COLUMN     "freezeWindows" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "timeZone" TEXT NOT NULL DEFAULT 'UTC';
