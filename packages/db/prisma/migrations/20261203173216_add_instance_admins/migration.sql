-- CreateEnum
CREATE TYPE "TeamCreation" AS ENUM ('INSTANCE_ADMINS', 'ANY_USER');

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "instanceAdmin" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "InstanceSettings" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "teamCreation" "TeamCreation" NOT NULL DEFAULT 'INSTANCE_ADMINS',
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "InstanceSettings_pkey" PRIMARY KEY ("id")
);

-- An existing install keeps an instance admin: the oldest owner (the one first-run setup made).
UPDATE "User" SET "instanceAdmin" = true WHERE "id" = (
  SELECT m."userId" FROM "Membership" m JOIN "User" u ON u."id" = m."userId"
  WHERE m."role" = 'OWNER' ORDER BY u."createdAt", u."id" LIMIT 1
);
