// The `tasks` field of a heartbeat. Agents send it only when something changed (a run finished, a
// task came or went), so this runs rarely: the host's timers replace its TaskSchedule rows, a run
// not seen before becomes a TaskRun row (the newest TASK_RUNS_KEPT per task and host are kept),
// and a new failed run of a task that asks for it writes a `task.failed` audit event, which the
// webhook dispatcher turns into deliveries.
import type { TaskReport } from "@capstan/protocol";
import { recordAuditEvents } from "../audit/record-audit-event";
import type { Db } from "../db";

export const TASK_RUNS_KEPT = 50;

const key = (r: { workflow: string; service: string; task: string }) =>
  `${r.workflow}/${r.service}/${r.task}`;

export async function recordTaskReports(
  db: Db,
  hostId: string,
  reports: readonly TaskReport[],
): Promise<void> {
  // The last report of a task wins (each row may be written once per statement).
  const byTask = new Map(reports.map((r) => [key(r), r]));
  const list = [...byTask.values()];
  const existing = await db.taskSchedule.findMany({
    where: { hostId },
    select: { workflow: true, service: true, task: true },
  });
  const gone = existing.filter((e) => !byTask.has(key(e)));
  for (const g of gone) await db.taskSchedule.deleteMany({ where: { hostId, ...g } });
  for (const r of list) {
    const data = {
      schedule: r.schedule,
      notifyOnFailure: r.notifyOnFailure,
      nextRunAt: r.nextRunAt ? new Date(r.nextRunAt) : null,
      running: r.running ?? false,
      updatedAt: new Date(),
    };
    await db.taskSchedule.upsert({
      where: {
        hostId_workflow_service_task: { hostId, workflow: r.workflow, service: r.service, task: r.task },
      },
      create: { hostId, workflow: r.workflow, service: r.service, task: r.task, ...data },
      update: data,
    });
  }

  const runs = list.filter((r) => r.lastRun);
  if (runs.length === 0) return;
  const known = await db.taskRun.findMany({
    where: { hostId, startedAt: { in: runs.map((r) => new Date(r.lastRun!.startedAt)) } },
    select: { workflow: true, service: true, task: true, startedAt: true },
  });
  const seen = new Set(known.map((k) => `${key(k)}@${k.startedAt.toISOString()}`));
  const fresh = runs.filter((r) => !seen.has(`${key(r)}@${new Date(r.lastRun!.startedAt).toISOString()}`));
  if (fresh.length === 0) return;
  await db.taskRun.createMany({
    data: fresh.map((r) => ({
      hostId,
      workflow: r.workflow,
      service: r.service,
      task: r.task,
      startedAt: new Date(r.lastRun!.startedAt),
      finishedAt: new Date(r.lastRun!.finishedAt),
      exitCode: r.lastRun!.exitCode,
      result: r.lastRun!.result,
      durationMs: r.lastRun!.durationMs,
    })),
    skipDuplicates: true,
  });
  const failed = fresh.filter((r) => r.notifyOnFailure && r.lastRun!.result !== "success");
  if (failed.length) {
    const host = await db.host.findUniqueOrThrow({
      where: { id: hostId },
      select: { teamId: true, name: true },
    });
    await recordAuditEvents(
      db,
      failed.map((r) => ({
        teamId: host.teamId,
        actor: { type: "AGENT", id: hostId, label: host.name },
        kind: "task.failed",
        target: { type: "host", id: hostId },
        data: {
          host: host.name,
          workflow: r.workflow,
          service: r.service,
          task: r.task,
          schedule: r.schedule,
          startedAt: r.lastRun!.startedAt,
          finishedAt: r.lastRun!.finishedAt,
          exitCode: r.lastRun!.exitCode,
          result: r.lastRun!.result,
          durationMs: r.lastRun!.durationMs,
        },
      })),
    );
  }
  for (const r of fresh) await pruneTaskRuns(db, hostId, r);
}

async function pruneTaskRuns(db: Db, hostId: string, r: TaskReport): Promise<void> {
  const old = await db.taskRun.findMany({
    where: { hostId, workflow: r.workflow, service: r.service, task: r.task },
    orderBy: { startedAt: "desc" },
    skip: TASK_RUNS_KEPT,
    select: { id: true },
  });
  if (old.length) await db.taskRun.deleteMany({ where: { id: { in: old.map((o) => o.id) } } });
}
