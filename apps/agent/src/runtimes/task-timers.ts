// Scheduled tasks on this host: per task a `<base>.timer` (OnCalendar=) and a oneshot
// `<base>.service` in the unit directory, base = capstan-<workflow>-<service>.task-<task>.
// A service's runtime syncs its tasks when a release is activated (so a rollback brings back
// that release's tasks) and removes them with the service. Heartbeats read every task timer's
// last run back with `systemctl show`.
import { existsSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { TaskReport } from "@capstan/protocol";
import { type TaskUnits, taskUnitPrefix } from "@capstan/templates";
import { run, runLogged } from "../exec";
import { assertName } from "../names";
import { writeFileAtomic } from "../state";
import type { ServiceRef, StepContext } from "./types";

const TIMER_FILE = /^capstan-[a-z0-9-]+\.task-[a-z0-9-]+\.timer$/;

/** A task as saved with a release: its rendered units and the schedule to check on this host. */
export interface SavedTask extends TaskUnits {
  schedule: string;
}

/** [Service] settings a task takes over from its service's unit: who it runs as, and its sandbox. */
export function taskSettingsFrom(unitText: string, keys: ReadonlySet<string>): string[] {
  let section = "";
  const lines: string[] = [];
  for (const line of unitText.split("\n")) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) section = header[1]!;
    const key = /^([A-Za-z]+)=/.exec(line)?.[1];
    if (section === "Service" && key && keys.has(key)) lines.push(line);
  }
  return lines;
}

/** `systemctl show` prints calendar times in the host's zone; UTC makes them parseable. */
const SHOW_ENV = {
  TZ: "UTC",
  LC_ALL: "C",
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
};

/**
 * Refuses before anything is written: a host without systemd as PID 1 (the control plane refuses
 * those at save and preview too), and any schedule this host's systemd does not accept.
 */
export async function checkSchedules(schedules: readonly string[], signal?: AbortSignal): Promise<void> {
  if (schedules.length === 0) return;
  if (!existsSync("/run/systemd/system"))
    throw new Error("scheduled tasks need systemd as PID 1, and this host has none");
  for (const schedule of schedules) {
    const checked = await run("systemd-analyze", ["calendar", "--", schedule], { signal, timeoutMs: 20_000 });
    if (checked.code !== 0)
      throw new Error(`systemd on this host refuses the task schedule ${JSON.stringify(schedule)}`);
  }
}

export class TaskTimers {
  constructor(private readonly unitDir: string) {}

  private prefix(ref: ServiceRef): string {
    return taskUnitPrefix(assertName(ref.workflow, "workflow name"), assertName(ref.service, "service name"));
  }

  private async installedBases(ref: ServiceRef): Promise<string[]> {
    const prefix = this.prefix(ref);
    const files = await readdir(this.unitDir).catch(() => [] as string[]);
    return files
      .filter((f) => f.startsWith(prefix) && TIMER_FILE.test(f))
      .map((f) => f.slice(0, -".timer".length));
  }

  /**
   * Makes the service's tasks exactly `tasks`: every schedule is checked by this host's systemd
   * first (nothing is written when one is refused), then units are written, timers (re)started,
   * and timers of tasks that are gone stopped and deleted.
   */
  async sync(
    ref: ServiceRef,
    tasks: readonly SavedTask[],
    ctx: Pick<StepContext, "log" | "signal">,
  ): Promise<void> {
    const before = await this.installedBases(ref);
    if (tasks.length === 0 && before.length === 0) return;
    for (const task of tasks) {
      if (!task.base.startsWith(this.prefix(ref)))
        throw new Error(`task unit ${task.base} is not of this service`);
      const checked = await run("systemd-analyze", ["calendar", "--", task.schedule], {
        signal: ctx.signal,
        timeoutMs: 20_000,
      });
      if (checked.code !== 0)
        throw new Error(`task ${task.base}: systemd refuses the schedule ${JSON.stringify(task.schedule)}`);
    }
    const keep = new Set(tasks.map((t) => t.base));
    for (const base of before.filter((b) => !keep.has(b))) await this.removeUnits(base, ctx.signal);
    for (const task of tasks) {
      writeFileAtomic(join(this.unitDir, `${task.base}.service`), task.service, 0o644);
      writeFileAtomic(join(this.unitDir, `${task.base}.timer`), task.timer, 0o644);
    }
    await runLogged("systemctl", ["daemon-reload"], ctx);
    for (const task of tasks) {
      await runLogged("systemctl", ["enable", `${task.base}.timer`], ctx);
      // restart, not start: a changed schedule takes effect now.
      await runLogged("systemctl", ["restart", `${task.base}.timer`], ctx);
    }
    const gone = before.filter((b) => !keep.has(b));
    ctx.log(
      "info",
      `tasks: ${tasks.length ? tasks.map((t) => t.base).join(", ") : "none"} scheduled${gone.length ? `; removed ${gone.join(", ")}` : ""}`,
    );
  }

  /** Stops and deletes every task of the service (undeploy, removal, a failed first release). */
  async remove(ref: ServiceRef, signal?: AbortSignal): Promise<void> {
    const bases = await this.installedBases(ref);
    for (const base of bases) await this.removeUnits(base, signal);
    if (bases.length) await run("systemctl", ["daemon-reload"], { signal, timeoutMs: 60_000 });
  }

  private async removeUnits(base: string, signal?: AbortSignal): Promise<void> {
    await run("systemctl", ["disable", "--now", `${base}.timer`], { signal, timeoutMs: 60_000 });
    await run("systemctl", ["stop", `${base}.service`], { signal, timeoutMs: 120_000 });
    for (const suffix of [".timer", ".service"])
      await rm(join(this.unitDir, `${base}${suffix}`), { force: true });
    await run("systemctl", ["reset-failed", `${base}.service`, `${base}.timer`], {
      signal,
      timeoutMs: 20_000,
    });
  }

  /** Every task timer on this host with its next and last run, for heartbeats. */
  async reports(signal?: AbortSignal): Promise<TaskReport[]> {
    const files = (await readdir(this.unitDir).catch(() => [] as string[])).filter((f) => TIMER_FILE.test(f));
    const reports: TaskReport[] = [];
    for (const file of files.slice(0, 500)) {
      const report = await this.report(file.slice(0, -".timer".length), signal).catch(() => null);
      if (report) reports.push(report);
    }
    return reports;
  }

  private async report(base: string, signal?: AbortSignal): Promise<TaskReport | null> {
    const timerText = await readFile(join(this.unitDir, `${base}.timer`), "utf8");
    const value = (key: string) => new RegExp(`^${key}=(.*)$`, "m").exec(timerText)?.[1]?.trim();
    const [workflow, service, task] = (value("X-CapstanTask") ?? "").split("/");
    if (!workflow || !service || !task) return null;
    const show = async (unit: string, properties: string[]) => {
      const result = await run(
        "systemctl",
        ["show", "--timestamp=unix", `--property=${properties.join(",")}`, "--", unit],
        { signal, timeoutMs: 20_000, env: SHOW_ENV },
        // Without an answer the task is still reported, from its timer file alone.
      ).catch(() => ({ stdout: "" }));
      return Object.fromEntries(
        result.stdout
          .split("\n")
          .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).trim()]),
      ) as Record<string, string | undefined>;
    };
    const timer = await show(`${base}.timer`, ["NextElapseUSecRealtime"]);
    const unit = await show(`${base}.service`, [
      "ActiveState",
      "Result",
      "ExecMainStartTimestamp",
      "ExecMainExitTimestamp",
      "ExecMainStartTimestampMonotonic",
      "ExecMainExitTimestampMonotonic",
      "ExecMainCode",
      "ExecMainStatus",
    ]);
    const running = unit.ActiveState === "activating";
    const report: TaskReport = {
      workflow,
      service,
      task,
      schedule: (value("OnCalendar") ?? "").slice(0, 128),
      notifyOnFailure: value("X-CapstanNotifyOnFailure") === "yes",
      ...(running ? { running } : {}),
    };
    const next = parseSystemdTime(timer.NextElapseUSecRealtime);
    if (next) report.nextRunAt = next.toISOString();
    const started = parseSystemdTime(unit.ExecMainStartTimestamp);
    const exited = parseSystemdTime(unit.ExecMainExitTimestamp);
    const startMono = Number(unit.ExecMainStartTimestampMonotonic ?? 0);
    const exitMono = Number(unit.ExecMainExitTimestampMonotonic ?? 0);
    // While a run is going on, the exit fields still describe the run before it (or nothing).
    if (started && exited && !running && exitMono >= startMono && startMono > 0) {
      // ExecMainCode 1 = CLD_EXITED: the status is an exit code; otherwise a signal number.
      const exitCode = unit.ExecMainCode === "1" ? Number(unit.ExecMainStatus ?? 0) : null;
      report.lastRun = {
        startedAt: started.toISOString(),
        finishedAt: exited.toISOString(),
        exitCode: exitCode !== null && exitCode >= 0 && exitCode <= 255 ? exitCode : null,
        result: /^[a-z-]{1,32}$/.test(unit.Result ?? "") ? unit.Result! : "unknown",
        durationMs: Math.round((exitMono - startMono) / 1000),
      };
    }
    return report;
  }
}

/** `@1796276505` (--timestamp=unix) or `Thu 2026-12-03 05:41:50 UTC`; null when empty or unset. */
export function parseSystemdTime(value: string | undefined): Date | null {
  if (!value || value === "n/a" || value === "0") return null;
  const unix = /^@(\d+)$/.exec(value);
  if (unix) return new Date(Number(unix[1]) * 1000);
  const text = /^\w{3} (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) UTC$/.exec(value);
  if (!text) return null;
  const date = new Date(`${text[1]!.replace(" ", "T")}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}
