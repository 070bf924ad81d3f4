// Scheduled tasks end to end (issue 14): a workflow with two tasks deployed through the public API
// to a real agent inside a systemd host. systemd's timers run them on time on the host, the
// agent's heartbeat carries the runs, and what the workflow page reads (listWorkflowTasks) shows
// them with their exit codes; the failing task that asks for it leaves a `task.failed` audit
// event, which the webhook dispatcher sends.
import { randomBytes } from "node:crypto";
import { listWorkflowTasks } from "@capstan/core/tasks/list-workflow-tasks";
import { postgresAvailable } from "@capstan/db/testing";
import {
  AGENT_BUNDLE,
  dockerImage,
  executable,
  requireComponents,
  SYSTEMD_HOST_IMAGE,
  type SystemdHost,
  waitFor,
} from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RealHosts, startRealHosts } from "../../test/real-hosts";

const ok = requireComponents(
  "web/scheduled-tasks",
  await postgresAvailable(),
  dockerImage(SYSTEMD_HOST_IMAGE),
  executable(AGENT_BUNDLE),
);

const sfx = randomBytes(3).toString("hex");
const HOST = `tasks-sd-${sfx}`;
const NAME = `tasks-${sfx}`;

const workflowYaml = `name: ${NAME}
targets: { hosts: [${HOST}] }
services:
  app:
    systemd: { exec: [/bin/sleep, infinity] }
    tasks:
      tick: { schedule: "*:*:0/5", command: [/bin/sh, -c, "echo tick"] }
      broken: { schedule: "*:*:0/5", command: [/bin/sh, -c, "exit 7"], notifyOnFailure: true }
`;

describe.skipIf(!ok)("scheduled tasks on a real systemd host, through to the workflow page", () => {
  let hosts: RealHosts;
  let sdHost: SystemdHost;

  beforeAll(async () => {
    hosts = await startRealHosts("Scheduled Tasks");
    sdHost = await hosts.startSystemdHostAgent(HOST, { prefix: "capstan-tasks" });
    await hosts.waitOnline(HOST);
  }, 180_000);

  afterAll(async () => {
    await hosts?.close();
  }, 120_000);

  it("runs each task on time and its runs, exit codes and failure reach the control plane", async () => {
    const result = await hosts.deploy({ yaml: workflowYaml });
    expect(result.status, `${JSON.stringify(result.hosts)}\n${hosts.context()}`).toBe("SUCCEEDED");
    const timers = await sdHost.exec(["systemctl", "list-timers", "--all", "--no-legend"]);
    expect(timers.stdout).toContain(`capstan-${NAME}-app.task-tick.timer`);

    const workflow = await hosts.db.prisma.workflow.findFirstOrThrow({
      where: { teamId: hosts.teamId, name: NAME },
    });
    const tasks = () => listWorkflowTasks(hosts.db.prisma, { teamId: hosts.teamId, workflowId: workflow.id });
    // A report taken while a task's service runs has no next run (systemd leaves the timer's
    // NextElapseUSecRealtime empty until the run ends), and the product rightly omits what it does
    // not know; so wait for a report with both a finished run and the next one.
    const view = await waitFor(
      "a finished run and a next run of both tasks on the workflow page",
      async () => {
        const listed = await tasks();
        return listed.length === 2 && listed.every((t) => t.runs.length > 0 && t.nextRunAt !== null)
          ? listed
          : null;
      },
      { timeoutMs: 90_000, context: hosts.context },
    );
    const byName = Object.fromEntries(view.map((t) => [t.task, t]));
    expect(byName.tick).toMatchObject({ host: { name: HOST }, service: "app", schedule: "*:*:0/5" });
    expect(byName.tick!.runs[0]).toMatchObject({ exitCode: 0 });
    expect(byName.broken!.runs[0]).toMatchObject({ exitCode: 7 });

    const failed = await hosts.db.prisma.auditEvent.findFirst({
      where: { teamId: hosts.teamId, kind: "task.failed" },
    });
    expect(failed, "a task.failed audit event for the failing task").not.toBeNull();
    expect(JSON.stringify(failed!.data)).toContain("broken");
    expect(
      await hosts.db.prisma.auditEvent.count({
        where: { teamId: hosts.teamId, kind: "task.failed", data: { path: ["task"], equals: "tick" } },
      }),
    ).toBe(0);
  }, 240_000);
});
