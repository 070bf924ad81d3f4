// The job runner's side of zero-downtime switches, on real parts (runner, state store, outbox,
// Compose runtime, Caddy with `tls internal`): a routed Compose service's second revision switches
// its route itself (routed once, not again after the deploy), a failing revision leaves the state
// and the route on the running release, and an undeploy job leaves no container of either slot.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CompleteJobRequest, JobAssignment, JobEvent } from "@capstan/protocol";
import { DEFAULT_HOST_POLICY } from "@capstan/templates";
import { requireComponents, waitFor } from "@capstan/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { silentLog } from "../test/helpers";
import { ingressGet } from "../test/ingress-get";
import { RoutedComposeRig, routedComposeComponents, routedHttpdSpec } from "../test/routed-compose";
import type { OutboxItem } from "./delivery";
import { JobRunner } from "./job-runner";
import { Outbox } from "./outbox";
import type { Runtimes } from "./runtimes/types";
import { StateStore } from "./state";

const ok = requireComponents("job runner zero-downtime switch", ...routedComposeComponents());

const NAME = "runner-zd.capstan.test";
const never = new AbortController().signal;

describe.skipIf(!ok)("job runner: zero-downtime switch of a routed Compose service", () => {
  const rig = new RoutedComposeRig("rzd");
  const { workflow, dir, base, caddy, runtime: compose } = rig;
  const state = new StateStore(join(dir, "state"));
  state.init();
  const outbox = new Outbox<OutboxItem>(join(dir, "outbox"), { maxBytes: 1 << 22 });

  afterAll(() => rig.cleanup());

  const spec = (marker: string, healthy: boolean) =>
    routedHttpdSpec(NAME, marker, healthy ? ["CMD", "true"] : ["CMD", "false"], healthy ? 90 : 12);

  const job = (number: number, marker: string, extra: Partial<JobAssignment> = {}) => {
    const now = new Date().toISOString();
    return {
      id: randomUUID(),
      deploymentId: randomUUID(),
      leaseId: randomUUID(),
      leaseExpiresAt: now,
      leaseSeconds: 60,
      deadlineAt: new Date(Date.now() + 300_000).toISOString(),
      serverTime: now,
      attempt: 1,
      lastSeq: 0,
      workflow: { id: randomUUID(), name: workflow },
      revision: { id: randomUUID(), number, hash: String(number).repeat(64) },
      rollback: false,
      autoRollback: true,
      tls: { issuer: "internal" },
      services: [{ name: "web", kind: "compose", spec: spec(marker, marker !== "broken"), secrets: {} }],
      hostPolicy: DEFAULT_HOST_POLICY,
      ...extra,
    } as unknown as JobAssignment;
  };

  it("switches the route inside the deploy, keeps it on a failed revision, and undeploys both slots", async () => {
    const ingress = await rig.ingress();
    const { httpsPort } = rig;
    const runner = new JobRunner({
      client: { renewLease: async () => ({}) } as never,
      outbox,
      state,
      runtimes: { compose } as unknown as Runtimes,
      log: silentLog,
      leaseRenewMs: 60_000,
      keepReleases: 3,
      effectivePolicy: (sent) => sent,
      ingress,
    });
    const run = async (j: JobAssignment) => {
      const result = await runner.run(j, { stop: never, cancel: never });
      const items = outbox.peek(100_000).map((r) => r.data);
      const logs = items
        .flatMap((i) => (i.kind === "event" && i.jobId === j.id ? [i.event] : []))
        .flatMap((e: JobEvent) => (e.type === "log" ? [e.message] : []));
      const complete = items.find(
        (i): i is Extract<OutboxItem, { kind: "complete" }> => i.kind === "complete" && i.jobId === j.id,
      )?.request as CompleteJobRequest;
      return { result, logs, complete };
    };
    const body = async () => {
      const root = readFileSync(rig.rootFile, "utf8");
      const res = await ingressGet({ scheme: "https", name: NAME, port: httpsPort }, root);
      return res.status === 200 ? res.body.trim() : `HTTP ${res.status}`;
    };
    const serves = (marker: string) =>
      waitFor(`${marker} over HTTPS`, async () => (await body().catch(() => "")) === marker, {
        timeoutMs: 90_000,
        intervalMs: 500,
        context: () => caddy.output().slice(-2000),
      });

    const first = await run(job(1, "one"));
    expect(first.result, first.logs.join("\n")).toBe("SUCCEEDED");
    await serves("one");

    const second = await run(job(2, "two"));
    expect(second.result, second.logs.join("\n")).toBe("SUCCEEDED");
    expect(second.logs.some((l) => l.includes("route switched to release"))).toBe(true);
    // Routed by the switch, not a second time after it.
    expect(second.logs.filter((l) => l.startsWith("routed https://"))).toEqual([]);
    expect(await body()).toBe("two");
    const running = state.getService(workflow, "web")?.releaseId;
    expect(second.complete.release?.services).toEqual([{ service: "web", releaseId: running }]);

    const broken = await run(job(3, "broken"));
    expect(broken.result).toBe("FAILED");
    expect(broken.complete.error).toMatch(/the route stays on release/);
    expect(state.getService(workflow, "web")?.releaseId).toBe(running);
    expect(await body()).toBe("two");

    const undeploy = await run(job(3, "broken", { action: "undeploy" } as Partial<JobAssignment>));
    expect(undeploy.result, undeploy.logs.join("\n")).toBe("SUCCEEDED");
    for (const project of [base, `${base}_b`]) expect(rig.containers(project)).toBe("");
  }, 600_000);
});
