// The job runner's side of zero-downtime switches, on real parts (runner, state store, outbox,
// Compose runtime, Caddy with `tls internal`): a routed Compose service's second revision switches
// its route itself (routed once, not again after the deploy), a failing revision leaves the state
// and the route on the running release, and an undeploy job leaves no container of either slot.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CompleteJobRequest, JobAssignment, JobEvent } from "@capstan/protocol";
import { composeServiceSpecSchema, DEFAULT_HOST_POLICY } from "@capstan/templates";
import {
  dockerEngine,
  dockerImage,
  executable,
  freePort,
  requireComponents,
  waitFor,
} from "@capstan/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { docker, removeComposeProject, silentLog, tempDir, uniqueName } from "../test/helpers";
import { ingressGet } from "../test/ingress-get";
import type { OutboxItem } from "./delivery";
import { DockerHost } from "./docker";
import { caddyPaths } from "./ingress/caddy-process";
import { Ingress } from "./ingress/ingress";
import { childIngressProcess } from "./ingress/ingress-process";
import { JobRunner } from "./job-runner";
import { Outbox } from "./outbox";
import { ComposeRuntime } from "./runtimes/compose";
import type { Runtimes } from "./runtimes/types";
import { StateStore } from "./state";

const ok = requireComponents(
  "job runner zero-downtime switch",
  dockerEngine(),
  dockerImage("capstan-busybox:test"),
  executable("/usr/bin/caddy"),
);

const NAME = "runner-zd.capstan.test";
const never = new AbortController().signal;

describe.skipIf(!ok)("job runner: zero-downtime switch of a routed Compose service", () => {
  const workflow = uniqueName("rzd");
  const network = uniqueName("capstan-ingress-rzd");
  const dir = tempDir("runner-zd");
  const dockerHost = new DockerHost("/var/run/docker.sock", false);
  const compose = new ComposeRuntime(join(dir, "compose"), dockerHost, {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  });
  const base = compose.project(workflow, "web");
  const ingressDir = join(dir, "ingress");
  const caddy = childIngressProcess(caddyPaths(ingressDir));
  const state = new StateStore(join(dir, "state"));
  state.init();
  const outbox = new Outbox<OutboxItem>(join(dir, "outbox"), { maxBytes: 1 << 22 });

  afterAll(async () => {
    await caddy.stop();
    removeComposeProject(base);
    removeComposeProject(`${base}_b`);
    try {
      docker(["network", "rm", network]);
    } catch {
      // not created
    }
  });

  const spec = (marker: string, healthy: boolean) =>
    composeServiceSpecSchema.parse({
      compose: {
        inline: {
          services: {
            httpd: {
              image: "capstan-busybox:test",
              command: [
                "sh",
                "-c",
                `mkdir -p /www && echo ${marker} > /www/index.html && exec httpd -f -p 8080 -h /www`,
              ],
              healthcheck: {
                test: healthy ? ["CMD", "true"] : ["CMD", "false"],
                interval: "1s",
                timeout: "2s",
                retries: 2,
              },
            },
          },
        },
      },
      domains: [{ host: NAME, port: 8080 }],
      deadline: healthy ? 90 : 12,
    });

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
    const httpsPort = await freePort();
    const ingress = new Ingress({
      dir: ingressDir,
      process: caddy,
      listen: { httpPort: await freePort(), httpsPort, bindHost: "127.0.0.1" },
      docker: () => dockerHost.engine(),
      composeProject: (ref) => compose.label(ref),
      network,
    });
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
      const root = readFileSync(join(ingressDir, "data/pki/authorities/local/root.crt"), "utf8");
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
    for (const project of [base, `${base}_b`])
      expect(docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`]).trim()).toBe(
        "",
      );
  }, 600_000);
});
