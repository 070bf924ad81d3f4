// The whole agent (the built bundle) against the real control plane (`next start` of apps/web on
// a fresh database) and the real Docker Engine: enrollment, a health-gated compose deploy, an
// outage of the control plane during a deploy (the outbox delivers every event, in order),
// kill -9 mid-deploy and restart (it reconciles and reports the real state), and revocation.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { revokeHost } from "@capstan/core/hosts/revoke-host";
import { dockerEngine, dockerImage, requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, controlPlaneAvailable, startControlPlane } from "./control-plane";
import {
  type AgentProcess,
  ensureAgentBuild,
  freePort,
  removeComposeProject,
  runAgentProcess,
  tempDir,
  uniqueName,
  waitFor,
} from "./helpers";

const ok = requireComponents(
  "agent end to end",
  dockerEngine(),
  dockerImage("capstan-busybox:test"),
  ...(await controlPlaneAvailable()),
);

const AGENT_DIR = join(import.meta.dirname, "..");
const BUNDLE = join(AGENT_DIR, "dist", "capstan-agent.cjs");

/** A web server whose healthcheck turns healthy `readyAfter` seconds after start. */
function stack(workflow: string, port: number, marker: string, readyAfter = 0) {
  return {
    name: workflow,
    targets: { selector: { role: "web" } },
    services: {
      web: {
        compose: {
          inline: {
            services: {
              web: {
                image: "capstan-busybox:test",
                command: [
                  "sh",
                  "-c",
                  `mkdir -p /www && echo ${marker} > /www/index.html && (sleep ${readyAfter}; touch /tmp/ready) & exec httpd -f -p 8080 -h /www`,
                ],
                ports: [`127.0.0.1:${port}:8080`],
                healthcheck: { test: ["CMD", "test", "-e", "/tmp/ready"], interval: "1s", retries: 60 },
              },
            },
          },
        },
        healthChecks: [{ http: { url: `http://127.0.0.1:${port}/` } }],
        deadline: 90,
      },
    },
  };
}

describe.skipIf(!ok)("agent against the real control plane", () => {
  let cp: ControlPlane;
  let agent: AgentProcess;
  const state = tempDir("e2e-state");
  const configFile = join(tempDir("e2e-config"), "agent.env");
  const workflow = uniqueName("e2e");
  const project = `capstan-${workflow}-web`;
  let hostId: string;
  let port: number;
  const env = () => ({
    CAPSTAN_CONFIG_FILE: configFile,
    CAPSTAN_STATE_DIR: state,
    CAPSTAN_HEARTBEAT_SECONDS: "2",
    CAPSTAN_LEASE_RENEW_SECONDS: "5",
    CAPSTAN_LOG_LEVEL: "debug",
  });
  const job = (id: string) => cp.db.prisma.job.findUniqueOrThrow({ where: { id } });
  const events = (jobId: string) =>
    cp.db.prisma.jobEvent.findMany({ where: { jobId }, orderBy: { seq: "asc" } });

  beforeAll(async () => {
    ensureAgentBuild("capstan-agent.cjs");
    cp = await startControlPlane({ heartbeatSeconds: 2, pollSeconds: 5 });
    port = await freePort();
  });

  afterAll(async () => {
    agent?.kill("SIGKILL");
    removeComposeProject(project);
    await cp?.close();
  });

  it("enrolls with the token, removes it from the config and shows ONLINE", async () => {
    const token = await cp.enrollmentToken();
    writeFileSync(
      configFile,
      `CAPSTAN_URL=${cp.url}\nCAPSTAN_ENROLLMENT_TOKEN=${token}\nCAPSTAN_HOST_NAME=${workflow}\n`,
      {
        mode: 0o600,
      },
    );
    agent = runAgentProcess(BUNDLE, env());
    await agent.waitForLog(/"msg":"enrolled/);
    const host = await waitFor("an ONLINE host with facts", async () => {
      const h = await cp.db.prisma.host.findFirst({ where: { teamId: cp.teamId, name: workflow } });
      return h?.status === "ONLINE" && (h.facts as { agentVersion?: string }).agentVersion ? h : null;
    });
    hostId = host.id;
    expect(readFileSync(configFile, "utf8")).not.toContain("CAPSTAN_ENROLLMENT_TOKEN");
    expect(statSync(join(state, "agent.key")).mode & 0o777).toBe(0o600);
    expect(agent.logs()).not.toContain(token);
  });

  it("deploys a compose stack, gated on health, and reports it healthy", async () => {
    const { jobId } = await cp.deploy(stack(workflow, port, "one", 2), hostId);
    const done = await waitFor(
      "the job to finish",
      async () => {
        const j = await job(jobId);
        return j.state !== "QUEUED" && j.state !== "RUNNING" ? j : null;
      },
      { timeoutMs: 120_000 },
    );
    expect(done.state, agent.logs().slice(-3000)).toBe("SUCCEEDED");
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("one\n");
    const seqs = (await events(jobId)).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    await waitFor("a HEALTHY heartbeat", async () => {
      const h = await cp.db.prisma.serviceHealth.findFirst({ where: { hostId, workflow, service: "web" } });
      return h?.status === "HEALTHY";
    });
    // `capstan-agent status` reads the same state and asks Docker itself.
    const status = JSON.parse(
      execFileSync(process.execPath, [BUNDLE, "status", "--json"], {
        env: { ...process.env, ...env() },
        encoding: "utf8",
      }),
    );
    expect(status.host.id).toBe(hostId);
    expect(status.lastContact.ok).toBe(true);
    expect(status.services).toEqual([
      expect.objectContaining({ workflow, service: "web", kind: "compose", status: "HEALTHY" }),
    ]);
  });

  it("keeps events in the outbox while the control plane is down and delivers them in order", async () => {
    const { jobId } = await cp.deploy(stack(workflow, port, "two", 8), hostId);
    // Stopped only once the agent holds the job (a claim whose answer never arrived is a
    // different story: the lease expires and the job turns UNKNOWN).
    await agent.waitForLog(new RegExp(`"jobId":"${jobId}".*"msg":"job started"`), 60_000);
    await cp.stop();
    // While the control plane is down the deploy goes on; its events wait on disk.
    await agent.waitForLog(new RegExp(`"jobId":"${jobId}".*"msg":"compose: .* is healthy`), 90_000);
    await new Promise((r) => setTimeout(r, 2000));
    const pending = readdirSync(join(state, "outbox")).filter((f) => f.endsWith(".jsonl"));
    expect(pending.length).toBeGreaterThan(0);
    await cp.start();
    const done = await waitFor(
      "the job to finish after the outage",
      async () => {
        const j = await job(jobId);
        return j.state === "SUCCEEDED" || j.state === "FAILED" ? j : null;
      },
      { timeoutMs: 120_000 },
    );
    expect(done.state, agent.logs().slice(-3000)).toBe("SUCCEEDED");
    const list = await events(jobId);
    expect(list.map((e) => e.seq)).toEqual(Array.from({ length: list.length }, (_, i) => i + 1));
    const steps = list.filter((e) => e.type === "step").map((e) => e.message ?? "");
    expect(steps.length).toBeGreaterThanOrEqual(2);
    const healthyAt = list.findIndex((e) => /is healthy/.test(e.message));
    const waitingAt = list.findIndex((e) => /waiting for health/.test(e.message));
    expect(waitingAt).toBeGreaterThan(-1);
    expect(healthyAt).toBeGreaterThan(waitingAt);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("two\n");
  });

  it("after kill -9 mid-deploy, a restarted agent reconciles and reports what really runs", async () => {
    const { jobId } = await cp.deploy(stack(workflow, port, "three", 6), hostId);
    await agent.waitForLog(new RegExp(`"jobId":"${jobId}".*"msg":"compose: waiting for health`), 60_000);
    agent.kill("SIGKILL");
    await agent.exited;
    agent = runAgentProcess(BUNDLE, env());
    await agent.waitForLog(/reported the real state of jobs interrupted by a restart/, 30_000);
    expect(agent.logs().length).toBeGreaterThan(0);
    const settled = await waitFor(
      "the interrupted job to be settled",
      async () => {
        const j = await job(jobId);
        return j.state !== "RUNNING" && j.state !== "QUEUED" ? j : null;
      },
      { timeoutMs: 60_000 },
    );
    expect(settled.state).toBe("FAILED");
    const report = (await events(jobId)).map((e) => e.message).join("\n");
    expect(report).toMatch(
      /agent restarted during this job; what actually runs now: web: running release r\d+-/,
    );
    // The containers of the new release keep starting without the agent; heartbeats then report
    // them healthy at the new revision.
    await waitFor(
      "a HEALTHY heartbeat for the new release",
      async () => {
        const h = await cp.db.prisma.serviceHealth.findFirst({ where: { hostId, workflow, service: "web" } });
        return h?.status === "HEALTHY";
      },
      { timeoutMs: 60_000 },
    );
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("three\n");
  });

  it("on SIGTERM finishes the current step, reports it, and exits 0", async () => {
    const { jobId } = await cp.deploy(stack(workflow, port, "four", 5), hostId);
    await agent.waitForLog(new RegExp(`"jobId":"${jobId}".*"msg":"compose: waiting for health`), 60_000);
    agent.kill("SIGTERM");
    const code = await Promise.race([
      agent.exited,
      new Promise((r) => setTimeout(() => r("timeout"), 90_000)),
    ]);
    expect(code, agent.logs().slice(-3000)).toBe(0);
    expect(agent.logs()).toMatch(/stopping: no new jobs; the current step may finish/);
    // The outbox was flushed before exiting: the control plane already has the result.
    expect((await job(jobId)).state).toBe("SUCCEEDED");
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("four\n");
    agent = runAgentProcess(BUNDLE, env());
    await agent.waitForLog(/"msg":"capstan-agent starting"/);
  });

  it("stops with a clear log line when the host is revoked", async () => {
    await revokeHost(cp.db.prisma, { teamId: cp.teamId, hostId, actor: { type: "SYSTEM" } });
    const code = await Promise.race([
      agent.exited,
      new Promise((r) => setTimeout(() => r("timeout"), 30_000)),
    ]);
    expect(code, agent.logs().slice(-3000)).toBe(3);
    expect(agent.logs()).toMatch(/this host was revoked in the control plane; stopping/);
  });
});
