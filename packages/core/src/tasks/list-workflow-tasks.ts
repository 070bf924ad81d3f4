// The workflow page's Tasks panel: every scheduled task of the workflow on every host of the team
// (as the agents last reported the timers) with its newest runs.
import type { Db } from "../db";
import { findTeamWorkflow } from "../workflows/find-team-workflow";

/** Runs per task and host shown on the page. */
const RUNS_SHOWN = 10;

export interface TaskRunView {
  startedAt: string;
  finishedAt: string;
  exitCode: number | null;
  result: string;
  durationMs: number;
}

export interface WorkflowTaskView {
  host: { id: string; name: string };
  service: string;
  task: string;
  schedule: string;
  notifyOnFailure: boolean;
  nextRunAt: string | null;
  running: boolean;
  runs: TaskRunView[];
}

export async function listWorkflowTasks(
  db: Db,
  args: { teamId: string; workflowId: string },
): Promise<WorkflowTaskView[]> {
  const workflow = await findTeamWorkflow(db, args.teamId, args.workflowId);
  const where = { workflow: workflow.name, host: { teamId: args.teamId } };
  const [schedules, runs] = await Promise.all([
    db.taskSchedule.findMany({
      where,
      orderBy: [{ service: "asc" }, { task: "asc" }],
      include: { host: { select: { id: true, name: true } } },
      take: 500,
    }),
    db.taskRun.findMany({ where, orderBy: { startedAt: "desc" }, take: 2000 }),
  ]);
  return schedules
    .map((s) => ({
      host: s.host,
      service: s.service,
      task: s.task,
      schedule: s.schedule,
      notifyOnFailure: s.notifyOnFailure,
      nextRunAt: s.nextRunAt?.toISOString() ?? null,
      running: s.running,
      runs: runs
        .filter((r) => r.hostId === s.hostId && r.service === s.service && r.task === s.task)
        .slice(0, RUNS_SHOWN)
        .map((r) => ({
          startedAt: r.startedAt.toISOString(),
          finishedAt: r.finishedAt.toISOString(),
          exitCode: r.exitCode,
          result: r.result,
          durationMs: r.durationMs,
        })),
    }))
    .sort(
      (a, b) =>
        a.service.localeCompare(b.service) ||
        a.task.localeCompare(b.task) ||
        a.host.name.localeCompare(b.host.name),
    );
}
