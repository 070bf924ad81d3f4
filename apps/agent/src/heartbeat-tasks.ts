// The `tasks` field of heartbeats: every scheduled task's next and last run, sent only when the
// list changed since the last accepted heartbeat (a run finished, a task came or went), so the
// control plane writes task rows only when a new run appears.
import type { TaskReport } from "@capstan/protocol";
import { TaskTimers } from "./runtimes/task-timers";

export class TaskReporter {
  private lastSent = "";
  private readonly timers: TaskTimers;

  constructor(unitDir: string) {
    this.timers = new TaskTimers(unitDir);
  }

  /** The reports when they differ from what was last accepted; `accepted` marks them sent. */
  async changed(signal?: AbortSignal): Promise<{ reports?: TaskReport[]; accepted(): void }> {
    const reports = await this.timers.reports(signal).catch(() => null);
    const json = JSON.stringify(reports);
    if (reports === null || json === this.lastSent) return { accepted: () => undefined };
    return {
      reports,
      accepted: () => {
        this.lastSent = json;
      },
    };
  }
}
