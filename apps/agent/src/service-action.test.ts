// Service actions on the real Docker Engine, through the real job runner, runtimes, state store and
// outbox: a compose service is deployed, stopped (and stays stopped, reported STOPPED, after a new
// runner reconciles), started, and restarted (a new container start time).
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { CompleteJobRequest, JobAssignment, ServiceAction } from "@capstan/protocol";
import { composeServiceSpecSchema } from "@capstan/templates";
import { dockerEngine, dockerImage, requireComponents } from "@capstan/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { docker, removeComposeProject, tempDir, uniqueName } from "../test/helpers";
import type { OutboxItem } from "./delivery";
import { DockerHost } from "./docker";
import { allServiceHealth } from "./heartbeat";
import { JobRunner, type JobRunnerDeps } from "./job-runner";
import { createLogger } from "./log";
import { Outbox } from "./outbox";
import { reconcile } from "./reconcile";
import { createRuntimes } from "./runtimes/runtimes";
import { StateStore } from "./state";

const ok = requireComponents(
  "service actions (compose)",
  dockerEngine(),
  dockerImage("capstan-busybox:test"),
);

const never = new AbortController().signal;
const log = createLogger("silent");

describe.skipIf(!ok)("start, stop and restart a compose service", () => {
  const dir = tempDir("svc-action");
  const workflow = uniqueName("act");
  const dockerHost = new DockerHost("/var/run/docker.sock", false);
  const spec = composeServiceSpecSchema.parse({
    compose: {
      inline: { services: { web: { image: "capstan-busybox:test", command: ["sleep", "3600"] } } },
    },
    deadline: 60,
  });
  let project = "";
  afterAll(() => {
    if (project) removeComposeProject(project);
  });

  /** A fresh agent over the same state directory, as after a restart of the process. */
  function agent() {
    const state = new StateStore(join(dir, "state"));
    state.init();
    const outbox = new Outbox<OutboxItem>(join(dir, "outbox"), { maxBytes: 1 << 20 });
    const runtimes = createRuntimes(
      { childEnv: { PATH: process.env.PATH }, unitDir: join(dir, "units") },
      state,
      dockerHost,
    );
    const runner = new JobRunner({
      client: { renewLease: async () => ({}) },
      outbox,
      state,
      runtimes,
      log,
      leaseRenewMs: 60_000,
      keepReleases: 3,
      effectivePolicy: (sent: unknown) => sent,
    } as unknown as JobRunnerDeps);
    const completion = (jobId: string) =>
      outbox
        .peek(10_000)
        .map((r) => r.data)
        .find(
          (i): i is Extract<OutboxItem, { kind: "complete" }> => i.kind === "complete" && i.jobId === jobId,
        )?.request as CompleteJobRequest;
    return { state, outbox, runtimes, runner, completion };
  }

  function job(action?: ServiceAction): JobAssignment {
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
      workflow: { id: randomUUID(), name: workflow },
      revision: { id: randomUUID(), number: 1, hash: "d".repeat(64) },
      rollback: false,
      autoRollback: false,
      services: [{ name: "web", kind: "compose", spec, secrets: {} }],
      ...(action ? { action } : {}),
      hostPolicy: {},
    } as unknown as JobAssignment;
  }

  const container = () => {
    const id = docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`]).trim();
    expect(id, "one container for the project").toMatch(/^[0-9a-f]+$/);
    const [running, startedAt] = docker(["inspect", "-f", "{{.State.Running}} {{.State.StartedAt}}", id])
      .trim()
      .split(" ");
    return { running: running === "true", startedAt };
  };

  it("deploys, stops, keeps it stopped across a new agent, starts and restarts", async () => {
    const first = agent();
    project = first.runtimes.compose.label?.({ workflow, service: "web" }) ?? "";
    const deploy = job();
    expect(await first.runner.run(deploy, { stop: never, cancel: never })).toBe("SUCCEEDED");
    expect(container().running).toBe(true);

    const stop = job("stop");
    expect(await first.runner.run(stop, { stop: never, cancel: never })).toBe("SUCCEEDED");
    // An action reports no new release: the control plane keeps the one that was deployed.
    expect(first.completion(stop.id)).toMatchObject({ state: "SUCCEEDED", release: null });
    expect(container().running).toBe(false);

    // The agent restarts: reconcile and heartbeats see a stop on request, not a failure.
    const second = agent();
    await reconcile({ ...second, docker: dockerHost, log });
    const [health] = await allServiceHealth({ ...second, docker: dockerHost });
    expect(health).toMatchObject({ workflow, service: "web", status: "STOPPED" });
    expect(health?.detail).toContain("stopped on request");
    expect(container().running).toBe(false);

    expect(await second.runner.run(job("start"), { stop: never, cancel: never })).toBe("SUCCEEDED");
    const started = container();
    expect(started.running).toBe(true);
    expect(second.state.getService(workflow, "web")?.stopped).toBeUndefined();

    expect(await second.runner.run(job("restart"), { stop: never, cancel: never })).toBe("SUCCEEDED");
    const restarted = container();
    expect(restarted.running).toBe(true);
    expect(restarted.startedAt).not.toBe(started.startedAt);
  });

  it("runs a one-off command with its output masked and its exit code in the step; undeploy removes its containers and record", async () => {
    const { runner, outbox, completion, state } = agent();
    const secret = `s3cret-${randomUUID()}`;
    const run = {
      ...job("run"),
      services: [{ name: "web", kind: "compose", spec, secrets: { API_KEY: secret } }],
      command: {
        argv: ["sh", "-c", `echo "token=${secret}"; echo "second line"; exit 5`],
        timeoutSeconds: 60,
      },
    } as JobAssignment;
    expect(await runner.run(run, { stop: never, cancel: never })).toBe("FAILED");
    const logs = outbox
      .peek(10_000)
      .map((r) => r.data)
      .filter((i) => i.kind === "event" && i.jobId === run.id && i.event.type === "log")
      .map((i) => (i.kind === "event" && i.event.type === "log" ? i.event.message : ""));
    expect(logs).toContain("run: token=***");
    expect(logs).toContain("run: second line");
    expect(JSON.stringify(outbox.peek(10_000))).not.toContain(secret);
    expect(completion(run.id).services[0]).toMatchObject({ state: "FAILED", message: "exit code 5" });

    const timeout = { ...job("run"), command: { argv: ["sleep", "30"], timeoutSeconds: 1 } } as JobAssignment;
    expect(await runner.run(timeout, { stop: never, cancel: never })).toBe("FAILED");
    expect(completion(timeout.id).services[0]?.message).toContain("timed out after 1s");
    expect(
      docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`])
        .trim()
        .split("\n"),
    ).toHaveLength(1);

    expect(await runner.run(job("undeploy"), { stop: never, cancel: never })).toBe("SUCCEEDED");
    expect(docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`]).trim()).toBe("");
    expect(state.getService(workflow, "web")).toBeNull();
  });

  it("fails an action on a service this host does not run, changing nothing", async () => {
    const { runner, completion } = agent();
    const other = { ...job("stop"), workflow: { id: randomUUID(), name: uniqueName("none") } };
    expect(await runner.run(other, { stop: never, cancel: never })).toBe("FAILED");
    expect(completion(other.id).error).toContain("is not deployed on this host");
  });
});
