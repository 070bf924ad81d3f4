// The job runner through the Runtime seam, without Docker or systemd: a fake runtime (test
// fixture) decides what staging and health do; the runner, the deploy template, the state store
// and the outbox are the real ones. Covers success, a failed health gate with auto-rollback, a
// stage refusal, a cancel and a deploy that floods its log past the job's byte budget.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import {
  type CompleteJobRequest,
  JOB_LOG_BUDGET_BYTES,
  type JobAssignment,
  type JobEvent,
} from "@capstan/protocol";
import { domainSchema } from "@capstan/templates";
import { executable, freePort, requireComponents, waitFor } from "@capstan/testkit";
import { describe, expect, it } from "vitest";
import { type FakeBehaviour, FakeRuntime } from "../test/fixtures/fake-runtime";
import { tempDir } from "../test/helpers";
import { ingressGet } from "../test/ingress-get";
import type { OutboxItem } from "./delivery";
import { caddyPaths } from "./ingress/caddy-process";
import { Ingress } from "./ingress/ingress";
import { childIngressProcess } from "./ingress/ingress-process";
import { JobRunner, type JobRunnerDeps } from "./job-runner";
import { createLogger } from "./log";
import { releaseIdFor } from "./names";
import { Outbox } from "./outbox";
import type { Runtimes } from "./runtimes/types";
import { StateStore } from "./state";

const WORKFLOW = "shop";
const SERVICE = "web";
const OLD_HASH = "a".repeat(64);
const OLD_RELEASE = releaseIdFor(OLD_HASH, 1);
const NEW_HASH = "b".repeat(64);
const NEW_RELEASE = releaseIdFor(NEW_HASH, 2);

function setup(
  behaviour: Record<string, FakeBehaviour> = {},
  options: { deployed?: boolean; outboxMaxBytes?: number; ingress?: Ingress } = {},
) {
  const dir = tempDir("runner-fake");
  const state = new StateStore(`${dir}/state`);
  state.init();
  const outbox = new Outbox<OutboxItem>(`${dir}/outbox`, { maxBytes: options.outboxMaxBytes ?? 1 << 20 });
  const fake = new FakeRuntime(behaviour);
  if (options.deployed) {
    fake.seed(OLD_RELEASE);
    state.saveService({
      workflow: WORKFLOW,
      service: SERVICE,
      kind: "compose",
      revisionHash: OLD_HASH,
      releaseId: OLD_RELEASE,
      healthChecks: [],
      updatedAt: new Date().toISOString(),
    });
  }
  const runner = new JobRunner({
    // The lease is renewed only after a second; these jobs that run longer (cancel) get an answer.
    client: { renewLease: async () => ({}) },
    outbox,
    state,
    runtimes: { compose: fake, systemd: fake } as unknown as Runtimes,
    log: createLogger("silent"),
    leaseRenewMs: 60_000,
    keepReleases: 3,
    effectivePolicy: (sent: unknown) => sent,
    ingress: options.ingress,
  } as unknown as JobRunnerDeps);
  const items = () => outbox.peek(10_000).map((r) => r.data);
  const complete = () =>
    items().find((i): i is Extract<OutboxItem, { kind: "complete" }> => i.kind === "complete")
      ?.request as CompleteJobRequest;
  const events = () => items().flatMap((i) => (i.kind === "event" ? [i.event] : [])) as JobEvent[];
  return { state, fake, runner, complete, events };
}

function job(deadlineSeconds: number): JobAssignment {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    deploymentId: randomUUID(),
    leaseId: randomUUID(),
    leaseExpiresAt: now,
    leaseSeconds: 60,
    deadlineAt: new Date(Date.now() + 120_000).toISOString(),
    serverTime: now,
    attempt: 1,
    lastSeq: 0,
    workflow: { id: randomUUID(), name: WORKFLOW },
    revision: { id: randomUUID(), number: 2, hash: NEW_HASH },
    rollback: false,
    autoRollback: true,
    services: [
      { name: SERVICE, kind: "compose", spec: { deadline: deadlineSeconds, healthChecks: [] }, secrets: {} },
    ],
    hostPolicy: {},
  } as unknown as JobAssignment;
}

const never = new AbortController().signal;

describe("job runner with a fake runtime", () => {
  it("deploys a healthy release: activated, recorded, pruned, reported", async () => {
    const { state, fake, runner, complete } = setup({}, { deployed: true });

    expect(await runner.run(job(30), { stop: never, cancel: never })).toBe("SUCCEEDED");

    expect(fake.activated).toEqual([NEW_RELEASE]);
    expect(fake.pruned).toEqual([{ keep: 3, protect: [NEW_RELEASE, OLD_RELEASE] }]);
    expect(state.getService(WORKFLOW, SERVICE)).toMatchObject({
      releaseId: NEW_RELEASE,
      revisionHash: NEW_HASH,
      previousReleaseId: OLD_RELEASE,
    });
    expect(complete()).toMatchObject({
      state: "SUCCEEDED",
      services: [{ service: SERVICE, state: "SUCCEEDED" }],
      release: { revisionHash: NEW_HASH, services: [{ service: SERVICE, releaseId: NEW_RELEASE }] },
    });
    expect(state.listInflight()).toEqual([]);
  });

  it("hands the job's bundle to the runtime, in a release of its own", async () => {
    const { fake, runner, complete } = setup({}, { deployed: true });
    const bundle = { sha256: "c".repeat(64), size: 1234 };
    const release = releaseIdFor(NEW_HASH, 2, bundle.sha256);
    expect(release).toBe(`r2-${"b".repeat(12)}-b${"c".repeat(8)}`);

    expect(await runner.run({ ...job(30), bundle }, { stop: never, cancel: never })).toBe("SUCCEEDED");

    expect(fake.staged).toEqual([release]);
    expect(fake.bundles).toEqual([bundle]);
    expect(complete().release?.services).toEqual([{ service: SERVICE, releaseId: release }]);
  });

  it("rolls back to the previous release when the new one fails its health gate", async () => {
    const { state, fake, runner, complete, events } = setup(
      { [NEW_RELEASE]: { health: "UNHEALTHY" } },
      { deployed: true },
    );

    expect(await runner.run(job(1), { stop: never, cancel: never })).toBe("FAILED");

    expect(fake.activated).toEqual([NEW_RELEASE, OLD_RELEASE]);
    expect(await fake.currentRelease()).toBe(OLD_RELEASE);
    // No release is pruned for age; only the failed one is discarded, the running one protected.
    expect(fake.pruned).toEqual([
      { keep: Number.MAX_SAFE_INTEGER, protect: [OLD_RELEASE], discard: [NEW_RELEASE] },
    ]);
    // The state still names what runs: the previous release at the previous revision.
    expect(state.getService(WORKFLOW, SERVICE)).toMatchObject({
      releaseId: OLD_RELEASE,
      revisionHash: OLD_HASH,
    });
    const result = complete();
    expect(result.state).toBe("FAILED");
    expect(result.services[0]?.message).toMatch(
      new RegExp(`deadline passed: ${NEW_RELEASE} is unhealthy; rolled back to ${OLD_RELEASE}$`),
    );
    expect(result.release?.services).toEqual([{ service: SERVICE, releaseId: OLD_RELEASE }]);
    const log = events().flatMap((e) => (e.type === "log" ? [e.message] : []));
    expect(log).toContain(`compose: rolling back ${WORKFLOW}/${SERVICE} to release ${OLD_RELEASE}`);
  });

  it("removes a failed first release, and never a service the host already runs", async () => {
    const first = setup({ [NEW_RELEASE]: { health: "UNHEALTHY" } });
    expect(await first.runner.run(job(1), { stop: never, cancel: never })).toBe("FAILED");
    expect(first.fake.removed).toEqual([{ workflow: WORKFLOW, service: SERVICE }]);
    expect(await first.fake.currentRelease()).toBeNull();
    expect(await first.fake.hasRelease({ workflow: WORKFLOW, service: SERVICE }, NEW_RELEASE)).toBe(false);
    expect(first.state.getService(WORKFLOW, SERVICE)).toBeNull();

    // The agent's state lost the service, but a release of it runs: not a first release.
    const lost = setup({ [NEW_RELEASE]: { health: "UNHEALTHY" } });
    lost.fake.seed(OLD_RELEASE);
    expect(await lost.runner.run(job(1), { stop: never, cancel: never })).toBe("FAILED");
    expect(lost.fake.removed).toEqual([]);

    // Redeploying the release that runs, with no older one kept: not a first release either.
    const same = setup({ [NEW_RELEASE]: { health: "UNHEALTHY" } });
    same.fake.seed(NEW_RELEASE);
    same.state.saveService({
      workflow: WORKFLOW,
      service: SERVICE,
      kind: "compose",
      revisionHash: NEW_HASH,
      releaseId: NEW_RELEASE,
      healthChecks: [],
      updatedAt: new Date().toISOString(),
    });
    expect(await same.runner.run(job(1), { stop: never, cancel: never })).toBe("FAILED");
    expect(same.fake.removed).toEqual([]);
    expect(await same.fake.currentRelease()).toBe(NEW_RELEASE);
  });

  it("activates nothing when staging is refused", async () => {
    const refusal = "refused by this host's policy: services.web.privileged: not allowed";
    const { state, fake, runner, complete } = setup(
      { [NEW_RELEASE]: { refuseStage: refusal } },
      { deployed: true },
    );

    expect(await runner.run(job(30), { stop: never, cancel: never })).toBe("FAILED");

    expect(fake.staged).toEqual([]);
    expect(fake.activated).toEqual([]);
    expect(await fake.currentRelease()).toBe(OLD_RELEASE);
    expect(state.getService(WORKFLOW, SERVICE)?.releaseId).toBe(OLD_RELEASE);
    expect(complete()).toMatchObject({
      state: "FAILED",
      error: `${SERVICE}: ${refusal}`,
      services: [{ service: SERVICE, state: "FAILED", message: refusal }],
      release: null,
    });
  });

  it("reports CANCELLED when the step is cancelled while it waits for health", async () => {
    const { fake, runner, complete, events } = setup({ [NEW_RELEASE]: { health: "STARTING" } });
    const cancel = new AbortController();

    const running = runner.run(job(600), { stop: cancel.signal, cancel: cancel.signal });
    await fake.firstUnhealthyProbe;
    cancel.abort();

    expect(await running).toBe("CANCELLED");
    expect(fake.activated).toEqual([NEW_RELEASE]);
    expect(complete()).toMatchObject({
      state: "CANCELLED",
      services: [{ service: SERVICE, state: "CANCELLED" }],
    });
    expect(
      events()
        .filter((e) => e.type === "step")
        .map((e) => e.state),
    ).toEqual(["RUNNING", "CANCELLED"]);
    expect(runner.activeJobs()).toEqual([]);
  });

  it("cuts a flooding deploy log at the job's byte budget with one notice; steps and result still go", async () => {
    // 800 lines of 8000 bytes: 6.4 MB against the 4 MiB budget. The outbox is large enough to keep
    // every line the runner sends, so what is missing was cut by the runner.
    const { runner, complete, events } = setup(
      { [NEW_RELEASE]: { logLines: 800 } },
      { outboxMaxBytes: 64 << 20 },
    );

    expect(await runner.run(job(30), { stop: never, cancel: never })).toBe("SUCCEEDED");

    const logs = events().flatMap((e) => (e.type === "log" ? [e] : []));
    const notices = logs.filter((e) => /deploy log truncated/.test(e.message));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ level: "warn", service: SERVICE });
    expect(notices[0]!.message).toMatch(
      /^deploy log truncated at \d+ bytes; see the host's journal for the rest$/,
    );
    const bytes = logs.reduce((sum, e) => sum + Buffer.byteLength(e.message), 0);
    expect(bytes).toBeLessThanOrEqual(JOB_LOG_BUDGET_BYTES);
    expect(bytes).toBeGreaterThan(JOB_LOG_BUDGET_BYTES - 16_000);
    // Nothing after the notice but steps: the rest of the flood and "fake: staged" were dropped.
    expect(logs.at(-1)).toBe(notices[0]);
    expect(
      events()
        .filter((e) => e.type === "step")
        .map((e) => e.state),
    ).toEqual(["RUNNING", "SUCCEEDED"]);
    expect(complete()).toMatchObject({
      state: "SUCCEEDED",
      services: [{ service: SERVICE, state: "SUCCEEDED" }],
    });
  });
});

const withCaddy = requireComponents("job runner with the ingress", executable("/usr/bin/caddy"));

describe.skipIf(!withCaddy)("job runner with the ingress (real Caddy, tls internal)", () => {
  it("routes a healthy release's domain and leaves the routes alone when a release fails its health gate", async () => {
    const upstream = createServer((_req, res) => res.end("routed by the runner"));
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const port = (upstream.address() as { port: number }).port;
    const dir = join(tempDir("runner-ingress"), "ingress");
    const process_ = childIngressProcess(caddyPaths(dir));
    const ports = { httpPort: await freePort(), httpsPort: await freePort() };
    const ingress = new Ingress({ dir, process: process_, listen: { ...ports, bindHost: "127.0.0.1" } });
    try {
      const { runner, events, complete } = setup({}, { deployed: true, ingress });
      const routed = (host: string) =>
        ({
          ...job(30),
          tls: { issuer: "internal" as const },
          services: [
            {
              name: SERVICE,
              kind: "systemd" as const,
              spec: { deadline: 30, healthChecks: [], domains: [domainSchema.parse({ host, port })] },
              secrets: {},
            },
          ],
        }) as unknown as JobAssignment;
      expect(await runner.run(routed("app.capstan.test"), { stop: never, cancel: never })).toBe("SUCCEEDED");
      expect(events().some((e) => e.type === "log" && e.message === "routed https://app.capstan.test")).toBe(
        true,
      );
      expect(complete().state).toBe("SUCCEEDED");
      // Caddy's own CA signs the name; a client that trusts that root gets the service.
      const root = join(dir, "data", "pki", "authorities", "local", "root.crt");
      const res = await waitFor(
        "the internal certificate and a 200 over HTTPS",
        async () => {
          const r = await ingressGet(
            { scheme: "https", name: "app.capstan.test", port: ports.httpsPort },
            readFileSync(root, "utf8"),
          );
          return r.status === 200 ? r : null;
        },
        { timeoutMs: 60_000, context: () => process_.output().slice(-2000) },
      );
      expect(res.body).toBe("routed by the runner");
      expect(res.issuer).toMatch(/Caddy Local Authority/);

      // A release that fails its health gate rolls back; the new name is never routed.
      const failing = setup({ [NEW_RELEASE]: { health: "UNHEALTHY" } }, { deployed: true, ingress });
      expect(
        await failing.runner.run(
          {
            ...routed("next.capstan.test"),
            services: routed("next.capstan.test").services.map((s) => ({
              ...s,
              spec: { ...s.spec, deadline: 1 },
            })),
          } as JobAssignment,
          { stop: never, cancel: never },
        ),
      ).toBe("FAILED");
      expect(JSON.stringify(await (await process_.ensure(never)).config())).not.toContain(
        "next.capstan.test",
      );
      expect(
        (
          await ingressGet(
            { scheme: "https", name: "app.capstan.test", port: ports.httpsPort },
            readFileSync(root, "utf8"),
          )
        ).status,
      ).toBe(200);
    } finally {
      await process_.stop();
      upstream.close();
    }
  }, 120_000);
});
