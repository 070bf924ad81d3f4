// Scheduled tasks on a real systemd host: a deploy installs a timer and a oneshot unit per task,
// the task runs on its schedule with the service's sandboxed user (never as the agent), its last
// run (exit code, result, duration) is read back for heartbeats, a redeploy removes the timers of
// tasks that are gone, a schedule systemd refuses changes nothing, and removal takes them all.
import { join } from "node:path";
import { heartbeatRequestSchema, type TaskReport } from "@capstan/protocol";
import { dockerEngine, dockerImage, requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bundle,
  runDriver,
  type SystemdHost,
  startSystemdHost,
  tempDir,
  uniqueName,
  waitFor,
} from "../../test/helpers";

/** What test/fixtures/systemd-driver.ts prints for the ops used here. */
interface DriverAnswer {
  outcome: { ok: boolean; message: string; activeReleaseId?: string };
  logs: string[];
  current?: string | null;
  tasks: TaskReport[];
}

const ok = requireComponents(
  "systemd scheduled tasks",
  dockerEngine(),
  dockerImage("capstan-systemd-host:bookworm"),
);

describe.skipIf(!ok)("scheduled tasks (real systemd host)", { timeout: 240_000 }, () => {
  const work = tempDir("task-timers");
  const workflow = uniqueName("sdt");
  const service = "api";
  const stateDir = "/var/lib/capstan-test";
  const base = (task: string) => `capstan-${workflow}-${service}.task-${task}`;
  let host: SystemdHost;

  const drive = (command: Record<string, unknown>) =>
    runDriver<DriverAnswer>(host.name, { stateDir, workflow, service, deadlineSeconds: 90, ...command });
  const reports = async (): Promise<TaskReport[]> => (await drive({ op: "tasks" })).tasks;
  const unitFiles = () =>
    host
      .exec(["ls", "/etc/systemd/system"])
      .split("\n")
      .filter((f) => f.includes(".task-"));
  const spec = (tasks: Record<string, unknown>) => ({
    systemd: { exec: ["/usr/local/bin/node", "-e", "setInterval(() => {}, 1e6)"] },
    deadline: 30,
    tasks,
  });
  const probe = `let wrote = "no"; try { require("fs").writeFileSync(${JSON.stringify(`${stateDir}/pwned-by-task`)}, "x"); wrote = "yes"; } catch {} console.log("uid=" + process.getuid() + " wrote=" + wrote + " marker=" + process.env.MARKER)`;

  beforeAll(async () => {
    await bundle(join(__dirname, "../../test/fixtures/systemd-driver.ts"), join(work, "driver.cjs"));
    host = await startSystemdHost("capstan-agent-sdt", { [work]: "/capstan-test" });
  }, 120_000);

  afterAll(() => host?.remove());

  it("runs each task on its schedule in the service's sandbox and reports the last run", async () => {
    const { outcome, logs } = await drive({
      op: "deploy",
      releaseId: "r1-aaaa",
      spec: {
        ...spec({
          probe: { schedule: "*:*:0/5", command: ["/usr/local/bin/node", "-e", probe], timeoutSeconds: 30 },
          fails: {
            schedule: "*:*:0/5",
            command: ["/usr/local/bin/node", "-e", "process.exit(7)"],
            notifyOnFailure: true,
          },
        }),
        env: { MARKER: "from-env" },
      },
    });
    expect(outcome, logs.join("\n")).toMatchObject({ ok: true, activeReleaseId: "r1-aaaa" });
    expect(logs.join("\n")).toContain(`tasks: ${base("probe")}, ${base("fails")} scheduled`);

    const seen = await waitFor(
      "both tasks to finish a run",
      async () => {
        const list = await reports();
        // While a run is going on (every 5 s here) systemd has no next elapse for its timer yet.
        return list.length === 2 && list.every((t) => t.lastRun && t.nextRunAt) ? list : null;
      },
      { timeoutMs: 90_000, intervalMs: 1000 },
    );
    // What the agent reports is what the control plane's heartbeat schema accepts.
    expect(heartbeatRequestSchema.parse({ agentVersion: "test", services: [], tasks: seen }).tasks).toEqual(
      seen,
    );
    const byTask = Object.fromEntries(seen.map((t) => [t.task, t]));
    expect(byTask.probe).toMatchObject({ workflow, service, schedule: "*:*:0/5", notifyOnFailure: false });
    expect(byTask.probe!.lastRun).toMatchObject({ exitCode: 0, result: "success" });
    expect(byTask.fails).toMatchObject({ notifyOnFailure: true });
    expect(byTask.fails!.lastRun).toMatchObject({ exitCode: 7, result: "exit-code" });
    for (const t of seen) {
      expect(Date.parse(t.lastRun!.finishedAt)).toBeGreaterThanOrEqual(Date.parse(t.lastRun!.startedAt));
      expect(t.lastRun!.durationMs).toBeGreaterThanOrEqual(0);
      expect(Date.parse(t.nextRunAt!)).toBeGreaterThan(Date.parse(t.lastRun!.startedAt));
    }
    // The run was the service's dynamic user under its hardening, with its environment.
    const journal = host.exec([
      "journalctl",
      "--unit",
      `${base("probe")}.service`,
      "--output",
      "cat",
      "--no-pager",
    ]);
    const line = journal.split("\n").find((l) => l.startsWith("uid="));
    expect(line, journal).toMatch(/^uid=\d+ wrote=no marker=from-env$/);
    expect(line).not.toMatch(/^uid=0 /);
    expect(host.tryExec(["test", "-e", `${stateDir}/pwned-by-task`]).code).not.toBe(0);

    // A later run shows up as a new last run: the schedule keeps firing.
    const first = byTask.probe!.lastRun!.startedAt;
    await waitFor(
      "a second run of the probe task",
      async () =>
        (await reports()).find((t) => t.task === "probe" && t.lastRun && t.lastRun.startedAt !== first),
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
  });

  it("refuses a schedule this host's systemd rejects before writing anything", async () => {
    const before = unitFiles().sort();
    const { outcome } = await drive({
      op: "deploy",
      releaseId: "r2-bbbb",
      previousReleaseId: "r1-aaaa",
      spec: spec({ bad: { schedule: "someday 25:99", command: ["/bin/true"] } }),
    });
    expect(outcome).toMatchObject({ ok: false });
    expect(outcome.message).toContain('refuses the task schedule "someday 25:99"');
    expect(unitFiles().sort()).toEqual(before);
    expect((await drive({ op: "current" })).current).toBe("r1-aaaa");
  });

  it("removes the timers of tasks that are gone, and all of them with the service", async () => {
    const { outcome, logs } = await drive({
      op: "deploy",
      releaseId: "r3-cccc",
      previousReleaseId: "r1-aaaa",
      spec: spec({ probe: { schedule: "hourly", command: ["/bin/true"] } }),
    });
    expect(outcome, logs.join("\n")).toMatchObject({ ok: true });
    expect(unitFiles().sort()).toEqual([`${base("probe")}.service`, `${base("probe")}.timer`]);
    expect(host.tryExec(["systemctl", "is-active", `${base("fails")}.timer`]).stdout.trim()).not.toBe(
      "active",
    );
    const list = await reports();
    expect(list.map((t) => [t.task, t.schedule])).toEqual([["probe", "hourly"]]);

    await drive({ op: "remove" });
    expect(unitFiles()).toEqual([]);
    expect(await reports()).toEqual([]);
  });
});
