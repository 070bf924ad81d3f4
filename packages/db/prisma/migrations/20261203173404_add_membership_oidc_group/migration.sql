-- AlterTable
ALTER TABLE "Membership" ADD COLUMN     "oidcGroup" BOOLEAN NOT NULL DEFAULT false;
