// The planner is pure: no database, so these run anywhere.
import { type WorkflowSpecInput, workflowSpecSchema } from "@capstan/templates";
import { describe, expect, it } from "vitest";
import { type PlanHost, type PlanSource, planDeployment } from "./plan-deployment";

const now = new Date("2026-01-01T00:00:00.000Z");

function source(
  rollout: WorkflowSpecInput["rollout"],
  services: WorkflowSpecInput["services"] = {
    db: { compose: { inline: { services: { db: { image: "capstan-busybox:test" } } } }, deadline: 60 },
    app: {
      compose: { inline: { services: { app: { image: "capstan-busybox:test" } } } },
      dependsOn: ["db"],
      deadline: "2m",
    },
  },
): PlanSource {
  return {
    workflow: { id: "w1", name: "shop" },
    revision: { id: "r1", number: 3, hash: "abc" },
    spec: workflowSpecSchema.parse({
      name: "shop",
      targets: { selector: { role: "web" } },
      rollout,
      services,
    }),
    rollback: false,
  };
}

const hosts = (...names: string[]): PlanHost[] =>
  names.map((name) => ({ id: `id-${name}`, name, status: "ONLINE" }));

function counter(): () => string {
  let n = 0;
  return () => `job-${++n}`;
}

describe("planDeployment", () => {
  it("queues one job per host with the services in dependsOn order, in waves with their own deadlines", () => {
    const plan = planDeployment(
      source({ batchSize: 2, autoRollback: true }),
      hosts("c", "a", "b"),
      now,
      counter(),
    );
    expect(plan.jobs.map((j) => [j.id, j.hostName, j.wave])).toEqual([
      ["job-1", "a", 0],
      ["job-2", "b", 0],
      ["job-3", "c", 1],
    ]);
    const payload = plan.jobs[0]!.payload;
    expect(payload.services.map((s) => [s.name, s.kind])).toEqual([
      ["db", "compose"],
      ["app", "compose"],
    ]);
    expect(payload).toMatchObject({
      workflow: { id: "w1", name: "shop" },
      revision: { id: "r1", number: 3, hash: "abc" },
      rollback: false,
      autoRollback: true,
    });
    // A slot is the 30-minute queue timeout plus the services' deadlines (60 s + 120 s).
    const slot = (30 * 60 + 180) * 1000;
    expect(plan.jobs.map((j) => j.deadlineAt.getTime() - now.getTime())).toEqual([slot, slot, 2 * slot]);
    expect(plan.deadlineAt.getTime() - now.getTime()).toBe(2 * slot + 60_000);
    expect(plan.rollout).toMatchObject({ version: 1, phase: "rolling", currentWave: 0, stopped: null });
    expect(plan.rollout.waves.map((w) => [w.hosts.map((h) => h.jobId), w.startedAt])).toEqual([
      [["job-1", "job-2"], now.toISOString()],
      [["job-3"], null],
    ]);
  });

  it("honours a shorter queue timeout and marks rollbacks", () => {
    const plan = planDeployment(
      { ...source({ batchSize: "100%", autoRollback: false }), rollback: true, queueTimeoutSeconds: 10 },
      hosts("a", "b"),
      now,
    );
    expect(new Set(plan.jobs.map((j) => j.wave))).toEqual(new Set([0]));
    expect(plan.jobs[0]!.deadlineAt.getTime() - now.getTime()).toBe((10 + 180) * 1000);
    expect(plan.jobs[0]!.payload).toMatchObject({ rollback: true, autoRollback: false });
    expect(plan.jobs[0]!.id).not.toBe(plan.jobs[1]!.id);
  });

  it("refuses no hosts, revoked hosts and services that cannot be ordered", () => {
    expect(() => planDeployment(source({}), [], now)).toThrow(/No target hosts/);
    const revoked: PlanHost[] = [...hosts("a"), { id: "id-gone", name: "gone", status: "REVOKED" }];
    expect(() => planDeployment(source({}), revoked, now)).toThrow(
      /Revoked hosts cannot receive deployments: gone/,
    );
    const cyclic = source(
      {},
      {
        a: { compose: { inline: { services: { a: { image: "x" } } } }, dependsOn: ["b"] },
        b: { compose: { inline: { services: { b: { image: "x" } } } }, dependsOn: ["a"] },
      },
    );
    expect(() => planDeployment(cyclic, hosts("a"), now)).toThrow(/cannot be planned/);
  });
});
