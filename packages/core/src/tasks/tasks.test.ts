// Scheduled task results on real PostgreSQL: heartbeats carrying `tasks` become TaskSchedule rows
// and one TaskRun per new run (a re-sent report writes nothing), the workflow page's list reads
// them back, runs are capped per task, a failed run of a task with notifyOnFailure becomes a
// `task.failed` webhook delivery, and a Compose workflow with tasks is refused for a host whose
// systemd is not PID 1.
import { randomBytes } from "node:crypto";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import type { TaskReport } from "@capstan/protocol";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestMember, createTestTeam, postgresComponent } from "../../test/fixtures";
import { createTestHost, type TestHost, uniqueName } from "../deployments/test-fixtures";
import { recordHeartbeat } from "../hosts/record-heartbeat";
import type { TeamActor } from "../rbac/team-actor";
import { parseKeyring } from "../secrets/keyring";
import { createWebhook } from "../webhooks/create-webhook";
import { enqueueWebhookDeliveries } from "../webhooks/enqueue-webhook-deliveries";
import { createWorkflow } from "../workflows/create-workflow";
import { listWorkflowTasks } from "./list-workflow-tasks";
import { TASK_RUNS_KEPT } from "./record-task-reports";

const ok = requireComponents("core scheduled tasks", await postgresComponent());
const keyring = parseKeyring(`k1:${randomBytes(32).toString("base64")}`);

const yaml = (name: string, host: string) => `name: ${name}
targets: { hosts: [${host}] }
services:
  api:
    systemd:
      exec: ["/usr/bin/sleep", "infinity"]
    tasks:
      cleanup: { schedule: "*:0/15", command: ["/usr/bin/true"], notifyOnFailure: true }
      report: { schedule: "daily", command: ["/usr/bin/false"] }
`;

describe.skipIf(!ok)("scheduled task results on the control plane", () => {
  let db: TestDatabase;
  let admin: TeamActor;
  let host: TestHost;
  let workflow: { id: string; name: string };
  const settings = { heartbeatIntervalSeconds: 15 };

  beforeAll(async () => {
    db = await createTestDatabase();
    const team = await createTestTeam(db.prisma, "Tasks");
    admin = (await createTestMember(db.prisma, team.id, "ADMIN")).actor;
    host = await createTestHost(db.prisma, admin.teamId, uniqueName("host"));
    await db.prisma.host.update({ where: { id: host.id }, data: { facts: { systemdPid1: true } } });
    const created = await createWorkflow(db.prisma, admin, { source: yaml(uniqueName("wf"), host.name) });
    workflow = { id: created.id, name: created.name };
  });
  afterAll(async () => {
    await db?.drop();
  });

  const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 3, 0, second)).toISOString();
  const report = (task: string, second: number, exitCode: number, notifyOnFailure = false): TaskReport => ({
    workflow: workflow.name,
    service: "api",
    task,
    schedule: task === "cleanup" ? "*:0/15" : "daily",
    notifyOnFailure,
    nextRunAt: at(second + 900),
    lastRun: {
      startedAt: at(second),
      finishedAt: at(second + 1),
      exitCode,
      result: exitCode === 0 ? "success" : "exit-code",
      durationMs: 1000 + second,
    },
  });
  const beat = (tasks?: TaskReport[]) =>
    recordHeartbeat(db.prisma, {
      hostId: host.id,
      settings,
      request: { agentVersion: "test", services: [], tasks },
    });

  it("stores a run once, however often it is reported, and the workflow page reads it", async () => {
    await beat([report("cleanup", 0, 0, true), report("report", 0, 0)]);
    await beat([report("cleanup", 0, 0, true), report("report", 0, 0)]);
    await beat(); // an agent that sends no tasks changes nothing
    expect(await db.prisma.taskRun.count({ where: { hostId: host.id } })).toBe(2);
    await beat([report("cleanup", 15, 0, true), report("report", 0, 0)]);
    const tasks = await listWorkflowTasks(db.prisma, { teamId: admin.teamId, workflowId: workflow.id });
    expect(tasks.map((t) => [t.service, t.task, t.schedule, t.host.name])).toEqual([
      ["api", "cleanup", "*:0/15", host.name],
      ["api", "report", "daily", host.name],
    ]);
    expect(tasks[0]!.nextRunAt).toBe(at(915));
    expect(tasks[0]!.runs).toEqual([
      { startedAt: at(15), finishedAt: at(16), exitCode: 0, result: "success", durationMs: 1015 },
      { startedAt: at(0), finishedAt: at(1), exitCode: 0, result: "success", durationMs: 1000 },
    ]);
    // Another team's id answers like a missing workflow.
    const other = await createTestTeam(db.prisma, "Other");
    expect(
      (await appError(listWorkflowTasks(db.prisma, { teamId: other.id, workflowId: workflow.id }))).code,
    ).toBe("NOT_FOUND");
  });

  it("keeps the newest runs per task and forgets tasks that are gone", async () => {
    for (let i = 0; i < TASK_RUNS_KEPT + 3; i++) await beat([report("report", 100 + i, 0)]);
    const runs = await db.prisma.taskRun.findMany({
      where: { hostId: host.id, task: "report" },
      orderBy: { startedAt: "asc" },
    });
    expect(runs).toHaveLength(TASK_RUNS_KEPT);
    expect(runs[0]!.startedAt.toISOString()).toBe(at(103));
    expect(await db.prisma.taskSchedule.count({ where: { hostId: host.id } })).toBe(1);
    const tasks = await listWorkflowTasks(db.prisma, { teamId: admin.teamId, workflowId: workflow.id });
    expect(tasks.map((t) => t.task)).toEqual(["report"]);
  });

  it("sends task.failed for a new failed run of a task that asks for it, once", async () => {
    await enqueueWebhookDeliveries(db.prisma, { gapTimeoutMs: 0 });
    const { webhook } = await createWebhook(db.prisma, keyring, admin, {
      name: "tasks",
      url: "https://hooks.example.com/tasks",
      events: ["task.failed"],
    });
    await beat([report("cleanup", 300, 3, true), report("report", 300, 1, false)]);
    await beat([report("cleanup", 300, 3, true), report("report", 300, 1, false)]);
    await enqueueWebhookDeliveries(db.prisma, { gapTimeoutMs: 0 });
    const deliveries = await db.prisma.webhookDelivery.findMany({ where: { webhookId: webhook.id } });
    expect(deliveries.map((d) => d.eventType)).toEqual(["task.failed"]);
    const body = JSON.parse(deliveries[0]!.body);
    expect(body.task).toEqual({
      host: { id: host.id, name: host.name },
      workflow: workflow.name,
      service: "api",
      task: "cleanup",
      schedule: "*:0/15",
      startedAt: at(300),
      finishedAt: at(301),
      exitCode: 3,
      result: "exit-code",
      durationMs: 1300,
    });
  });

  it("refuses a Compose workflow with tasks for a host without systemd as PID 1", async () => {
    const dockerOnly = await createTestHost(db.prisma, admin.teamId, uniqueName("docker"));
    await db.prisma.host.update({
      where: { id: dockerOnly.id },
      data: {
        facts: { systemdPid1: false, dockerVersion: "27.3.1", composeVersion: "1.29.2", nixVersion: null },
      },
    });
    const name = uniqueName("wf");
    const source = `name: ${name}
targets: { hosts: [${dockerOnly.name}] }
services:
  app:
    compose: { inline: { services: { web: { image: "capstan-busybox:test" } } } }
    tasks:
      gc: { schedule: "daily", command: ["gc"] }
`;
    const refused = await appError(createWorkflow(db.prisma, admin, { source }));
    expect(refused.code).toBe("UNPROCESSABLE");
    expect(refused.message).toContain(
      `host ${dockerOnly.name} cannot run scheduled tasks (app): scheduled tasks run as systemd timers and systemd is not PID 1 there`,
    );
    // Without tasks the same workflow is fine there.
    const plain = await createWorkflow(db.prisma, admin, {
      source: source.replace(/ {4}tasks:\n.*\n$/, "").replace(name, uniqueName("wf")),
    });
    expect(plain.id).toBeTruthy();
  });
});
