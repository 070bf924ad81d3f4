-- CreateTable
CREATE TABLE "TaskSchedule" (
    "hostId" UUID NOT NULL,
    "workflow" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "task" TEXT NOT NULL,
    "schedule" TEXT NOT NULL,
    "notifyOnFailure" BOOLEAN NOT NULL DEFAULT false,
    "nextRunAt" TIMESTAMPTZ(3),
    "running" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TaskSchedule_pkey" PRIMARY KEY ("hostId","workflow","service","task")
);

-- CreateTable
CREATE TABLE "TaskRun" (
    "id" BIGSERIAL NOT NULL,
    "hostId" UUID NOT NULL,
    "workflow" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "task" TEXT NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "finishedAt" TIMESTAMPTZ(3) NOT NULL,
    "exitCode" INTEGER,
    "result" TEXT NOT NULL,
    "durationMs" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TaskRun_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "TaskRun_workflow_startedAt_idx" ON "TaskRun"("workflow", "startedAt");

-- CreateIndex
CREATE UNIQUE INDEX "TaskRun_hostId_workflow_service_task_startedAt_key" ON "TaskRun"("hostId", "workflow", "service", "task", "startedAt");

-- AddForeignKey
ALTER TABLE "TaskSchedule" ADD CONSTRAINT "TaskSchedule_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskRun" ADD CONSTRAINT "TaskRun_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;
