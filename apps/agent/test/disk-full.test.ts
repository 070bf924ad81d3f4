// The agent's disk fills during a deploy: a real agent (the bundle, under systemd) on a real
// systemd host whose state directory is a small tmpfs, talking to the test's control plane.
// Release 1 (small) deploys and answers; release 2's artifact is bigger than the space left.
// The deploy must fail with an error that says the disk is full and where, the job must be
// reported FAILED (not left running), nothing half-written may stay behind, and release 1 keeps
// running and answering. When the disk is already full (the agent cannot even write its outbox),
// the job is still reported FAILED at once, and the agent deploys again once space is freed.
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  generateAgentKeyPair,
  importAgentPrivateKey,
  type JobAssignment,
  signForHost,
} from "@capstan/protocol";
import { dockerEngine, dockerImage, requireComponents, SYSTEMD_HOST_IMAGE } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeControlPlane, serviceJob, startFakeControlPlane } from "./fake-control-plane";
import {
  bundle,
  freePort,
  type SystemdHost,
  startSystemdHost,
  tempDir,
  uniqueName,
  waitFor,
} from "./helpers";

const ok = requireComponents("agent disk full", dockerEngine(), dockerImage(SYSTEMD_HOST_IMAGE));

const STATE_DIR = "/var/lib/capstan";
const TMPFS_BYTES = 2 * 1024 * 1024;
const serverJs = (marker: string, padding = 0) =>
  `require("node:http").createServer((q, s) => s.end("${marker}\\n")).listen(Number(process.env.PORT), "127.0.0.1");\n` +
  (padding ? `/*${"x".repeat(padding)}*/\n` : "");

describe.skipIf(!ok)("the agent's disk fills during a deploy", { timeout: 180_000 }, () => {
  const work = tempDir("disk-full");
  const controlPlaneKey = generateAgentKeyPair();
  const workflow = uniqueName("disk");
  const service = "api";
  const unit = `capstan-${workflow}-${service}.service`;
  const artifacts = new Map<string, Buffer>();
  let artifactServer: Server;
  let cp: FakeControlPlane;
  let host: SystemdHost;
  let port: number;

  const journal = () => host.tryExec(["journalctl", "--no-pager", "-n", "80", "-u", "capstan-agent"]).stdout;
  const get = async () => (await fetch(`http://127.0.0.1:${port}/`)).text();

  /** Serves `body` as /<name>/server.js and returns a signed job deploying it as `revision`. */
  function release(revision: number, body: string): JobAssignment {
    const name = `r${revision}`;
    const bytes = Buffer.from(body);
    artifacts.set(`/${name}/server.js`, bytes);
    const { port: artifactPort } = artifactServer.address() as AddressInfo;
    const job = serviceJob(
      workflow,
      service,
      {
        systemd: {
          exec: ["/usr/local/bin/node", "server.js"],
          artifact: {
            url: `http://127.0.0.1:${artifactPort}/${name}/server.js`,
            sha256: createHash("sha256").update(bytes).digest("hex"),
            format: "binary",
          },
        },
        env: { PORT: String(port) },
        healthChecks: [{ http: { url: `http://127.0.0.1:${port}/` } }],
        deadline: 60,
      },
      revision,
    );
    return signForHost(job, {
      purpose: "job-assignment",
      hostId: cp.hostId,
      privateKey: importAgentPrivateKey(controlPlaneKey.privateKeyPem),
    });
  }

  const finished = (job: JobAssignment) =>
    waitFor(`job ${job.revision.number} to be reported`, async () => cp.completed.get(job.id), {
      timeoutMs: 120_000,
      context: journal,
    });

  beforeAll(async () => {
    artifactServer = createServer((req, res) => {
      const body = artifacts.get(req.url ?? "");
      if (body) res.end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => artifactServer.listen(0, "127.0.0.1", r));
    port = await freePort();
    await bundle(join(import.meta.dirname, "..", "src", "cli.ts"), join(work, "agent.cjs"));
    cp = await startFakeControlPlane({ controlPlaneKey: controlPlaneKey.publicKey });
    writeFileSync(
      join(work, "agent.env"),
      `CAPSTAN_URL=${cp.url}\nCAPSTAN_ENROLLMENT_TOKEN=disk-full-test-token-0123456789\n`,
      { mode: 0o600 },
    );
    host = await startSystemdHost("capstan-agent-disk", { [work]: "/capstan-test" }, undefined, [
      "--tmpfs",
      `${STATE_DIR}:size=${TMPFS_BYTES}`,
    ]);
    host.exec([
      "systemd-run",
      "--unit",
      "capstan-agent",
      `--setenv=CAPSTAN_CONFIG_FILE=/capstan-test/agent.env`,
      `--setenv=CAPSTAN_STATE_DIR=${STATE_DIR}`,
      "--setenv=CAPSTAN_HEARTBEAT_SECONDS=1",
      "/usr/local/bin/node",
      "/capstan-test/agent.cjs",
      "run",
    ]);
  });

  afterAll(async () => {
    host?.remove();
    await cp?.close();
    artifactServer?.close();
  });

  it("deploys release 1, then fails release 2 with a clear error and keeps release 1 running", async () => {
    const one = release(1, serverJs("release one"));
    cp.jobs.push(one);
    expect((await finished(one)).state, journal()).toBe("SUCCEEDED");
    expect(await get()).toBe("release one\n");

    // Release 2 is three times the whole state disk.
    const two = release(2, serverJs("release two", 3 * TMPFS_BYTES));
    cp.jobs.push(two);
    const result = await finished(two);
    const expected = new RegExp(`no space left on the host's state disk \\(${STATE_DIR}\\)`);
    expect(result.state).toBe("FAILED");
    expect(result.error).toMatch(expected);
    const log = (cp.events.get(two.id) ?? []).map((e) => ("message" in e ? e.message : "")).join("\n");
    expect(log).toMatch(expected);

    // Release 1 still runs and answers; nothing of release 2 is left on the disk.
    expect(host.exec(["systemctl", "is-active", unit]).trim()).toBe("active");
    expect(await get()).toBe("release one\n");
    const serviceDir = `${STATE_DIR}/systemd/${workflow}/${service}`;
    expect(host.exec(["readlink", `${serviceDir}/current`]).trim()).toMatch(/^releases\/r1-/);
    expect(
      host
        .exec(["ls", "-A", `${serviceDir}/releases`])
        .trim()
        .split("\n"),
    ).toEqual([expect.stringMatching(/^r1-/)]);
    expect(host.exec(["find", STATE_DIR, "-name", ".*", "-newer", `${serviceDir}/current`]).trim()).toBe("");
    const usedKiB = Number(host.exec(["df", "--output=used", "-k", STATE_DIR]).trim().split("\n")[1]);
    expect(usedKiB).toBeLessThan(TMPFS_BYTES / 1024 / 2);

    // The agent itself carries on: the next small release deploys.
    const three = release(3, serverJs("release three"));
    cp.jobs.push(three);
    expect((await finished(three)).state, journal()).toBe("SUCCEEDED");
    expect(await get()).toBe("release three\n");
  });

  it("when the disk is already full, reports the job FAILED at once in words, and recovers once freed", async () => {
    // Something else filled the disk: the agent cannot even write its in-flight file or outbox.
    const heartbeats = () => cp.requests.filter((path) => path.endsWith("/heartbeat")).length;
    host.tryExec(["dd", "if=/dev/zero", `of=${STATE_DIR}/filler`, "bs=64k"]);
    const beatsBefore = heartbeats();
    expect(host.tryExec(["sh", "-c", `echo x > ${STATE_DIR}/probe`]).code).not.toBe(0);
    const four = release(4, serverJs("release four"));
    cp.jobs.push(four);
    const result = await finished(four);
    expect(result.state).toBe("FAILED");
    expect(result.error).toMatch(
      new RegExp(`could not record this job: no space left on the host's state disk \\(${STATE_DIR}\\)`),
    );
    expect(await get()).toBe("release three\n");
    // Heartbeats go on while the disk is full, and the agent stays up.
    await waitFor("three heartbeats on a full disk", async () => heartbeats() >= beatsBefore + 3, {
      timeoutMs: 30_000,
      context: journal,
    });
    expect(host.exec(["systemctl", "is-active", "capstan-agent"]).trim()).toBe("active");

    host.exec(["rm", "-f", `${STATE_DIR}/filler`]);
    const five = release(5, serverJs("release five"));
    cp.jobs.push(five);
    expect((await finished(five)).state, journal()).toBe("SUCCEEDED");
    expect(await get()).toBe("release five\n");
  });
});
