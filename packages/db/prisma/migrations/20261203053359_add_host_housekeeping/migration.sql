-- CreateTable
CREATE TABLE "HostHousekeeping" (
    "hostId" UUID NOT NULL,
    "resources" JSONB,
    "resourcesAt" TIMESTAMPTZ(3),
    "pruneOrderId" UUID,
    "pruneRequestedAt" TIMESTAMPTZ(3),
    "lastPrune" JSONB,
    "lastPruneAt" TIMESTAMPTZ(3),

    CONSTRAINT "HostHousekeeping_pkey" PRIMARY KEY ("hostId")
);

-- CreateTable
CREATE TABLE "HostAlert" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "teamId" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "detail" TEXT NOT NULL,
    "openedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "clearedAt" TIMESTAMPTZ(3),

    CONSTRAINT "HostAlert_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "HostAlert_teamId_clearedAt_idx" ON "HostAlert"("teamId", "clearedAt");

-- CreateIndex
CREATE INDEX "HostAlert_hostId_clearedAt_idx" ON "HostAlert"("hostId", "clearedAt");

-- AddForeignKey
ALTER TABLE "HostHousekeeping" ADD CONSTRAINT "HostHousekeeping_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HostAlert" ADD CONSTRAINT "HostAlert_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HostAlert" ADD CONSTRAINT "HostAlert_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- One open episode per host, kind and subject: concurrent heartbeats cannot open it twice.
CREATE UNIQUE INDEX "HostAlert_open_key" ON "HostAlert"("hostId", "kind", "subject") WHERE "clearedAt" IS NULL;
