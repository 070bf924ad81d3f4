-- AlterTable
ALTER TABLE "Secret" ALTER COLUMN "workflowId" DROP NOT NULL;

-- Team secrets (workflowId NULL): one per name in a team. Prisma cannot declare a partial index;
-- the (workflowId, name) unique above never applies to them (NULLs are distinct).
CREATE UNIQUE INDEX "Secret_team_secret_name_key" ON "Secret"("teamId", "name") WHERE "workflowId" IS NULL;
