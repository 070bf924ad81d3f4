// The agent talks to its control plane only, tested as the attacks (real agent processes, the
// real Docker Engine, real TLS on loopback):
//   - a fake control plane at the right URL hands out well-formed jobs that are unsigned, signed
//     by another key, or signed for another host: the agent refuses each and no container appears;
//     the same job signed by the key it learned at enrollment does run (so the check can fail);
//   - a man-in-the-middle TLS proxy with another certificate the host also trusts: with the pin
//     the agent refuses to talk and no request reaches the real server; without the pin the same
//     proxy passes (so the check can fail); with the pin and no proxy, enrollment works.
import { existsSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { connect, createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import {
  generateAgentKeyPair,
  importAgentPrivateKey,
  type JobAssignment,
  signForHost,
} from "@capstan/protocol";
import { composeProjectName } from "@capstan/templates";
import { dockerEngine, dockerImage, makeTestCertificate, requireComponents } from "@capstan/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { composeJob, type FakeControlPlane, startFakeControlPlane } from "./fake-control-plane";
import {
  type AgentProcess,
  docker,
  removeComposeProject,
  runAgentProcess,
  tempDir,
  uniqueName,
  waitFor,
} from "./helpers";

const ok = requireComponents("agent trust", dockerEngine(), dockerImage("capstan-busybox:test"));
const CLI = join(import.meta.dirname, "..", "src", "cli.ts");
const TSX = [process.execPath, "--import", "tsx"];

function startAgent(
  url: string,
  extra: Record<string, string> = {},
): { agent: AgentProcess; stateDir: string } {
  const dir = tempDir("trust");
  const configFile = join(dir, "agent.env");
  writeFileSync(configFile, `CAPSTAN_URL=${url}\nCAPSTAN_ENROLLMENT_TOKEN=trust-test-token-0123456789\n`, {
    mode: 0o600,
  });
  const stateDir = join(dir, "state");
  const agent = runAgentProcess(
    CLI,
    {
      CAPSTAN_CONFIG_FILE: configFile,
      CAPSTAN_STATE_DIR: stateDir,
      CAPSTAN_HEARTBEAT_SECONDS: "1",
      CAPSTAN_LOG_LEVEL: "info",
      ...extra,
    },
    TSX,
  );
  return { agent, stateDir };
}

async function stopAgent(agent: AgentProcess | undefined): Promise<void> {
  if (!agent) return;
  agent.kill("SIGTERM");
  const timer = setTimeout(() => agent.kill("SIGKILL"), 15_000);
  await agent.exited;
  clearTimeout(timer);
}

const containersOf = (project: string) =>
  docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`]).trim();

describe.skipIf(!ok)("a forged job from a fake control plane (right URL, wrong key)", () => {
  const realKey = generateAgentKeyPair();
  const attackerKey = generateAgentKeyPair();
  const projects: string[] = [];
  let cp: FakeControlPlane | undefined;
  let agent: AgentProcess | undefined;

  afterAll(async () => {
    await stopAgent(agent);
    await cp?.close();
    for (const project of projects) removeComposeProject(project);
  });

  it("refuses unsigned, wrongly signed and re-addressed jobs and runs nothing; runs the genuinely signed one", async () => {
    cp = await startFakeControlPlane({ controlPlaneKey: realKey.publicKey });
    const sign = (job: JobAssignment, pem: string, hostId = cp!.hostId) =>
      signForHost(job, { purpose: "job-assignment", hostId, privateKey: importAgentPrivateKey(pem) });
    const workflow = (label: string) => {
      const name = uniqueName(`trust-${label}`);
      projects.push(composeProjectName(name, "web"));
      return name;
    };
    const forged = [
      composeJob(workflow("unsigned")),
      sign(composeJob(workflow("otherkey")), attackerKey.privateKeyPem),
      sign(composeJob(workflow("otherhost")), realKey.privateKeyPem, crypto.randomUUID()),
    ];
    const genuine = sign(composeJob(workflow("genuine")), realKey.privateKeyPem);
    cp.jobs.push(...forged, genuine);

    ({ agent } = startAgent(cp.url));
    await waitFor("the genuine job to finish", async () => cp!.completed.has(genuine.id), {
      timeoutMs: 180_000,
      context: () => agent!.logs().slice(-3000),
    });

    for (const job of forged) {
      expect(cp.completed.get(job.id)?.state).toBe("FAILED");
      expect(cp.completed.get(job.id)?.error).toMatch(/refused this job.*Nothing ran/);
      expect(containersOf(composeProjectName(job.workflow.name, "web"))).toBe("");
      // No event for a refused job: nothing started, so nothing was reported as running.
      expect(cp.requests).not.toContain(`/api/agent/v1/jobs/${job.id}/events`);
    }
    expect(agent.logs()).toMatch(/refused a job: the job carries no control-plane signature; nothing runs/);
    expect(agent.logs()).toMatch(/refused a job: the job's signature does not verify/);
    expect(agent.logs()).toMatch(/refused a job: the job was signed for host [0-9a-f-]+, not this host/);
    // The control: the same job, signed with the key learned at enrollment, really runs.
    expect(cp.completed.get(genuine.id)?.state, agent.logs().slice(-3000)).toBe("SUCCEEDED");
    expect(containersOf(composeProjectName(genuine.workflow.name, "web"))).not.toBe("");
  });
});

/** Terminates TLS with its own certificate and relays the plaintext to `upstream` over TLS. */
async function startTlsProxy(own: { key: string; cert: string }, upstream: URL, upstreamCa: string) {
  const server: TlsServer = createTlsServer(own, (client) => {
    const up = connect({ host: upstream.hostname, port: Number(upstream.port), ca: upstreamCa });
    client.pipe(up).pipe(client);
    const close = () => {
      client.destroy();
      up.destroy();
    };
    client.once("error", close);
    up.once("error", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(!ok)("a man-in-the-middle TLS proxy with another certificate", () => {
  const dir = tempDir("mitm");
  const real = makeTestCertificate(dir, "real");
  const mitm = makeTestCertificate(dir, "mitm");
  // The host trusts both certificates (a CA that mis-issued one, a corporate proxy's root):
  // only the pin tells them apart.
  const bundle = join(dir, "trusted.pem");
  writeFileSync(bundle, real.cert + mitm.cert);
  const cleanups: (() => Promise<void>)[] = [];

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function attempt(pin: string | undefined, through: "proxy" | "direct") {
    const cp = await startFakeControlPlane({ controlPlaneKey: generateAgentKeyPair().publicKey, tls: real });
    cleanups.push(cp.close);
    const proxy = await startTlsProxy(mitm, new URL(cp.url), real.cert);
    cleanups.push(proxy.close);
    const { agent, stateDir } = startAgent(through === "proxy" ? proxy.url : cp.url, {
      NODE_EXTRA_CA_CERTS: bundle,
      ...(pin ? { CAPSTAN_PIN: pin } : {}),
    });
    cleanups.push(() => stopAgent(agent));
    return { cp, agent, stateDir };
  }

  it("with the pin, the agent refuses the proxy: enrollment fails and no request reaches the real server", async () => {
    const { cp, agent, stateDir } = await attempt(real.pin, "proxy");
    await agent.waitForLog(
      /pin mismatch: .*127\.0\.0\.1 presented a key with sha256:[0-9a-f]{64}, the pin is sha256:/,
      90_000,
    );
    await agent.waitForLog(/enrollment failed; retrying/, 90_000);
    expect(agent.logs()).toContain(mitm.pin);
    expect(cp.requests).toEqual([]);
    expect(existsSync(join(stateDir, "host.json"))).toBe(false);
  });

  it("without the pin, the same proxy passes (the attack the pin stops)", async () => {
    const { cp, stateDir } = await attempt(undefined, "proxy");
    await waitFor("enrollment through the proxy", async () => existsSync(join(stateDir, "host.json")), {
      timeoutMs: 90_000,
    });
    expect(cp.requests[0]).toBe("/api/agent/v1/enroll");
  });

  it("with the pin and no proxy, the agent enrolls and keeps talking", async () => {
    const { cp, stateDir } = await attempt(real.pin, "direct");
    await waitFor("a pinned heartbeat", async () => cp.requests.includes("/api/agent/v1/heartbeat"), {
      timeoutMs: 90_000,
    });
    expect(existsSync(join(stateDir, "host.json"))).toBe(true);
  });
});
