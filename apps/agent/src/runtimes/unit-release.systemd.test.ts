// Release commands of systemd services inside a real systemd host container: the command runs
// as a transient unit with the new release's user, hardening, environment and working directory
// (never as the agent), before the new release is activated; a failing one leaves the previous
// release serving.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import { dockerEngine, dockerImage, requireComponents } from "@capstan/testkit";
import * as tar from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bundle,
  freePort,
  type SystemdHost,
  startSystemdHost,
  tempDir,
  uniqueName,
} from "../../test/helpers";

const execFileAsync = promisify(execFile);

const ok = requireComponents(
  "systemd release commands",
  dockerEngine(),
  dockerImage("capstan-systemd-host:bookworm"),
);

const SERVER_JS = `require("node:http").createServer((req, res) => res.end(process.env.MARKER))
  .listen(Number(process.env.PORT), "127.0.0.1");
`;

describe.skipIf(!ok)("systemd release commands (real systemd host)", { timeout: 180_000 }, () => {
  const work = tempDir("unit-release");
  const workflow = uniqueName("sdr");
  const service = "api";
  const stateDir = "/var/lib/capstan-test";
  let host: SystemdHost;
  let artifactServer: Server;
  let artifactUrl: string;
  let artifactSha: string;
  let port: number;

  const drive = async (command: Record<string, unknown>) => {
    const payload = JSON.stringify({ stateDir, workflow, service, deadlineSeconds: 90, ...command });
    const { stdout } = await execFileAsync("docker", [
      "exec",
      host.name,
      "node",
      "/capstan-test/driver.cjs",
      payload,
    ]);
    return JSON.parse(stdout);
  };
  const spec = (marker: string, release: string[]) => ({
    systemd: {
      exec: ["/usr/local/bin/node", "server.js"],
      artifact: { url: artifactUrl, sha256: artifactSha, format: "tar.gz" },
    },
    env: { PORT: String(port), MARKER: marker },
    healthChecks: [{ http: { url: `http://127.0.0.1:${port}/` } }],
    deadline: 30,
    release: { command: release, timeout: 60 },
  });
  const get = async () => (await fetch(`http://127.0.0.1:${port}/`)).text();

  beforeAll(async () => {
    mkdirSync(join(work, "app"));
    writeFileSync(join(work, "app", "server.js"), SERVER_JS);
    writeFileSync(
      join(work, "app", "migrate.js"),
      `let wrote = "no";
try { require("node:fs").writeFileSync(${JSON.stringify(`${stateDir}/pwned-by-release`)}, "x"); wrote = "yes"; } catch {}
console.log("uid=" + process.getuid() + " cwd=" + process.cwd() + " marker=" + process.env.MARKER + " wrote=" + wrote);
`,
    );
    writeFileSync(join(work, "app", "migrate.sh"), '#!/bin/sh\necho "script=$0 marker=$MARKER"\n');
    chmodSync(join(work, "app", "migrate.sh"), 0o755);
    await tar.c({ gzip: true, file: join(work, "app.tar.gz"), cwd: join(work, "app") }, [
      "server.js",
      "migrate.js",
      "migrate.sh",
    ]);
    const bytes = readFileSync(join(work, "app.tar.gz"));
    artifactSha = createHash("sha256").update(bytes).digest("hex");
    artifactServer = createServer((_req, res) => res.end(bytes));
    await new Promise<void>((r) => artifactServer.listen(0, "127.0.0.1", r));
    const address = artifactServer.address();
    artifactUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/app.tar.gz`;
    port = await freePort();
    await bundle(join(__dirname, "../../test/fixtures/systemd-driver.ts"), join(work, "driver.cjs"));
    host = await startSystemdHost("capstan-agent-sdr", { [work]: "/capstan-test" });
  }, 120_000);

  afterAll(() => {
    host?.remove();
    artifactServer?.close();
  });

  it("runs in the new release as the service's sandboxed user before activation", async () => {
    const { outcome, logs } = await drive({
      op: "deploy",
      releaseId: "r1-aaaa",
      spec: spec("one", ["/usr/local/bin/node", "migrate.js"]),
    });
    expect(outcome, logs.join("\n")).toMatchObject({ ok: true, activeReleaseId: "r1-aaaa" });
    const line = logs.find((l: string) => l.startsWith("info: release: uid="));
    expect(line, logs.join("\n")).toBeDefined();
    expect(line).not.toMatch(/uid=0 /);
    expect(line).toContain(`cwd=${stateDir}/systemd/${workflow}/${service}/releases/r1-aaaa `);
    expect(line).toContain("marker=one wrote=no");
    expect(host.tryExec(["test", "-e", `${stateDir}/pwned-by-release`]).code).not.toBe(0);
    expect(await get()).toBe("one");
  });

  it("resolves current/... to the new release, and a failure leaves the previous release serving", async () => {
    const { outcome, logs } = await drive({
      op: "deploy",
      releaseId: "r2-bbbb",
      previousReleaseId: "r1-aaaa",
      spec: spec("two", [
        "/usr/local/bin/node",
        "-e",
        "console.log('boom ' + process.env.MARKER); process.exit(3)",
      ]),
    });
    expect(outcome, logs.join("\n")).toMatchObject({ ok: false, rolledBack: false });
    expect(outcome.message).toMatch(/exited with 3; last output:\nboom two/);
    expect(outcome.message).toContain("release r1-aaaa keeps running");
    expect((await drive({ op: "current" })).current).toBe("r1-aaaa");
    expect(await get()).toBe("one");

    const next = await drive({
      op: "deploy",
      releaseId: "r3-cccc",
      previousReleaseId: "r1-aaaa",
      spec: spec("three", ["current/migrate.sh"]),
    });
    // `current` still points at r1 while the command runs: current/... must mean the new release.
    expect(next.outcome, next.logs.join("\n")).toMatchObject({ ok: true, activeReleaseId: "r3-cccc" });
    expect(next.logs).toContain(
      `info: release: script=${stateDir}/systemd/${workflow}/${service}/releases/r3-cccc/migrate.sh marker=three`,
    );
    expect(await get()).toBe("three");
  });
});
