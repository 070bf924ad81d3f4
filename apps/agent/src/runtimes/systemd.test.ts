// systemd runtime inside a real systemd host container: an artifact (a small Node HTTP server
// tarball) deploys to an active, health-checked, hardened unit; a wrong sha256 is refused
// before anything changes; a failing release rolls back; a directive the host cannot apply is
// dropped with a warning; remove cleans up.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
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

const ok = requireComponents("systemd runtime", dockerEngine(), dockerImage("capstan-systemd-host:bookworm"));

const SERVER_JS = `const http = require("node:http");
http.createServer((req, res) => res.end(process.env.MARKER + " " + process.env.GREETING))
  .listen(Number(process.env.PORT), "127.0.0.1");
`;

describe.skipIf(!ok)("systemd runtime (real systemd host)", () => {
  const work = tempDir("systemd");
  const workflow = uniqueName("sd");
  const service = "api";
  const stateDir = "/var/lib/capstan-test";
  let host: SystemdHost;
  let artifactServer: Server;
  let artifactUrl: string;
  let artifactSha: string;
  let port: number;

  // Async on purpose: the artifact server lives in this process and must keep answering.
  const drive = async (command: Record<string, unknown>) => {
    const payload = JSON.stringify({ stateDir, workflow, service, ...command });
    const { stdout } = await execFileAsync("docker", [
      "exec",
      host.name,
      "node",
      "/capstan-test/driver.cjs",
      payload,
    ]);
    return JSON.parse(stdout);
  };
  const spec = (overrides: { exec?: string[]; sha?: string; marker?: string; hardening?: object } = {}) => ({
    systemd: {
      exec: overrides.exec ?? ["/usr/local/bin/node", "server.js"],
      artifact: { url: artifactUrl, sha256: overrides.sha ?? artifactSha, format: "tar.gz" },
      ...(overrides.hardening ? { hardening: overrides.hardening } : {}),
    },
    env: { PORT: String(port), MARKER: overrides.marker ?? "one" },
    secrets: ["GREETING"],
    healthChecks: [{ http: { url: `http://127.0.0.1:${port}/` } }],
    deadline: 30,
  });
  const secrets = { GREETING: "it's $(touch /tmp/pwned) `id` %n ${HOME}" };
  const get = async () => (await fetch(`http://127.0.0.1:${port}/`)).text();

  beforeAll(async () => {
    mkdirSync(join(work, "app"));
    writeFileSync(join(work, "app", "server.js"), SERVER_JS);
    await tar.c({ gzip: true, file: join(work, "app.tar.gz"), cwd: join(work, "app") }, ["server.js"]);
    const bytes = readFileSync(join(work, "app.tar.gz"));
    artifactSha = createHash("sha256").update(bytes).digest("hex");
    artifactServer = createServer((_req, res) => res.end(bytes));
    await new Promise<void>((r) => artifactServer.listen(0, "127.0.0.1", r));
    const address = artifactServer.address();
    artifactUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/app.tar.gz`;
    port = await freePort();
    await bundle(join(__dirname, "../../test/fixtures/systemd-driver.ts"), join(work, "driver.cjs"));
    host = await startSystemdHost("capstan-agent-sd", { [work]: "/capstan-test" });
  });

  afterAll(() => {
    host?.remove();
    artifactServer?.close();
  });

  it("deploys an artifact: active, HTTP check passes, secrets inert, security exposure <= 2.0", async () => {
    const { outcome, logs } = await drive({ op: "deploy", releaseId: "r1-aaaa", spec: spec(), secrets });
    expect(outcome, logs.join("\n")).toMatchObject({ ok: true, activeReleaseId: "r1-aaaa" });
    const unit = `capstan-${workflow}-${service}.service`;
    expect(host.exec(["systemctl", "is-active", unit]).trim()).toBe("active");
    expect(host.exec(["systemctl", "is-enabled", unit]).trim()).toBe("enabled");
    expect(await get()).toBe(`one ${secrets.GREETING}`);
    const security = host.exec(["systemd-analyze", "security", "--no-pager", unit]);
    const score = Number(/Overall exposure level for .*: (\d+\.\d+)/.exec(security)?.[1]);
    expect(score).toBeLessThanOrEqual(2.0);
    const envFile = `${stateDir}/systemd/${workflow}/${service}/env/r1-aaaa.env`;
    expect(host.exec(["stat", "-c", "%a %U", envFile]).trim()).toBe("600 root");
    expect(host.exec(["cat", `/etc/systemd/system/${unit}`])).not.toContain("GREETING");
    expect(host.tryExec(["test", "-e", "/tmp/pwned"]).code).not.toBe(0);
  });

  it("refuses an artifact whose sha256 does not match before anything changes", async () => {
    const unitBefore = host.exec(["cat", `/etc/systemd/system/capstan-${workflow}-${service}.service`]);
    const result = await drive({
      op: "deploy",
      releaseId: "r2-bbbb",
      spec: spec({ sha: "0".repeat(64), marker: "two" }),
      secrets,
    });
    expect(result.error ?? result.outcome?.message).toMatch(/sha256 mismatch/);
    expect((await drive({ op: "current" })).current).toBe("r1-aaaa");
    expect(host.exec(["cat", `/etc/systemd/system/capstan-${workflow}-${service}.service`])).toBe(unitBefore);
    expect(
      host.tryExec(["test", "-e", `${stateDir}/systemd/${workflow}/${service}/releases/r2-bbbb`]).code,
    ).not.toBe(0);
    expect(await get()).toBe(`one ${secrets.GREETING}`);
  });

  it("rolls back to the previous release when the new one fails its health gate", async () => {
    const { outcome, logs } = await drive({
      op: "deploy",
      releaseId: "r3-cccc",
      previousReleaseId: "r1-aaaa",
      deadlineSeconds: 6,
      spec: spec({ exec: ["/usr/local/bin/node", "-e", "process.exit(3)"], marker: "three" }),
      secrets,
    });
    expect(outcome, logs.join("\n")).toMatchObject({
      ok: false,
      rolledBack: true,
      activeReleaseId: "r1-aaaa",
    });
    expect((await drive({ op: "current" })).current).toBe("r1-aaaa");
    expect(await get()).toBe(`one ${secrets.GREETING}`);
    // Nothing of the failed release stays: its folder, env file and saved unit are gone.
    const dir = `${stateDir}/systemd/${workflow}/${service}`;
    for (const path of [`${dir}/releases/r3-cccc`, `${dir}/env/r3-cccc.env`, `${dir}/units/r3-cccc.service`])
      expect(host.tryExec(["test", "-e", path]).code, path).not.toBe(0);
    expect(host.tryExec(["test", "-e", `${dir}/releases/r1-aaaa`]).code).toBe(0);
    expect(logs).toContain("info: systemd: removed the failed release r3-cccc");
  });

  it("drops a hardening directive this host cannot apply, with a warning", async () => {
    const { outcome, logs } = await drive({
      op: "deploy",
      releaseId: "r4-dddd",
      previousReleaseId: "r1-aaaa",
      spec: spec({
        marker: "four",
        hardening: { profile: "strict", SystemCallFilter: "@capstannosuchgroup" },
      }),
      secrets,
      // Changing the filter is a switch below `strict`: this host's policy allows it.
      hostPolicy: { systemd: { minimumProfile: "none" } },
    });
    expect(outcome, logs.join("\n")).toMatchObject({ ok: true, activeReleaseId: "r4-dddd" });
    expect(logs.some((l: string) => /warn: .*SystemCallFilter= cannot be applied/.test(l))).toBe(true);
    const unit = host.exec(["cat", `/etc/systemd/system/capstan-${workflow}-${service}.service`]);
    expect(unit).not.toContain("SystemCallFilter");
    expect(unit).toContain("ProtectSystem=strict");
    expect(await get()).toBe(`four ${secrets.GREETING}`);
  });

  it("runs a command health check as the service's sandboxed user, never as the agent", async () => {
    // The attack: a health-check command that writes a marker into the agent's state dir. It
    // passes only when it runs as a user other than root, and the marker must not appear.
    const marker = `${stateDir}/pwned-by-health-check`;
    const base = spec({ marker: "five" });
    const attack = {
      ...base,
      healthChecks: [
        ...base.healthChecks,
        { command: ["/bin/sh", "-c", `touch ${marker}; id -u | grep -vqx 0`] },
      ],
    };
    const { outcome, logs } = await drive({
      op: "deploy",
      releaseId: "r5-eeee",
      previousReleaseId: "r4-dddd",
      spec: attack,
      secrets,
    });
    expect(outcome, logs.join("\n")).toMatchObject({ ok: true, activeReleaseId: "r5-eeee" });
    expect(host.tryExec(["test", "-e", marker]).code).not.toBe(0);
    expect(await get()).toBe(`five ${secrets.GREETING}`);
  });

  it("takes the revision's bundle as the release with `artifact: { bundle: true }`", async () => {
    mkdirSync(join(work, "project", "bin"), { recursive: true });
    writeFileSync(join(work, "project", "bin", "server.js"), SERVER_JS);
    await tar.c({ gzip: true, file: join(work, "project.tar.gz"), cwd: join(work, "project") }, ["bin"]);
    const fromBundle = {
      ...spec({ exec: ["/usr/local/bin/node", "bin/server.js"], marker: "six" }),
      systemd: { exec: ["/usr/local/bin/node", "bin/server.js"], artifact: { bundle: true } },
    };
    const refused = await drive({
      op: "deploy",
      releaseId: "r6-ffff",
      previousReleaseId: "r5-eeee",
      spec: fromBundle,
      secrets,
    });
    expect(refused.outcome.message).toMatch(/takes the revision's bundle .* carries no bundle/);
    const { outcome, logs } = await drive({
      op: "deploy",
      releaseId: "r6-ffff",
      previousReleaseId: "r5-eeee",
      spec: fromBundle,
      secrets,
      bundleFile: "/capstan-test/project.tar.gz",
    });
    expect(outcome, logs.join("\n")).toMatchObject({ ok: true, activeReleaseId: "r6-ffff" });
    expect(logs.some((l: string) => /systemd: bundle [0-9a-f]{12} downloaded, sha256 verified/.test(l))).toBe(
      true,
    );
    const release = `${stateDir}/systemd/${workflow}/${service}/releases/r6-ffff`;
    expect(host.exec(["stat", "-c", "%a", `${release}/bin/server.js`]).trim()).toBe("644");
    expect(await get()).toBe(`six ${secrets.GREETING}`);
  });

  it("quotes a failing unit's journal in the deploy log, secret values masked", async () => {
    const other = uniqueName("sdlog");
    const known = `journal-line-${Math.random().toString(36).slice(2, 8)}`;
    const script = `console.log(${JSON.stringify(known)}); console.log("token " + process.env.GREETING); process.exit(1)`;
    try {
      const { outcome, logs } = await drive({
        op: "deploy",
        workflow: other,
        releaseId: "r1-aaaa",
        deadlineSeconds: 8,
        spec: spec({ exec: ["/usr/local/bin/node", "-e", script] }),
        secrets,
      });
      const text = logs.join("\n");
      expect(outcome, text).toMatchObject({ ok: false, rolledBack: false });
      // What systemctl printed (the first `enable` creates the wants/ symlink), then the journal.
      expect(
        logs.some((l: string) => /^info: systemctl: Created symlink .*\.service/.test(l)),
        text,
      ).toBe(true);
      expect(
        logs.some((l: string) => l === `info:   ${known}`),
        text,
      ).toBe(true);
      expect(
        logs.some((l: string) => l === "info:   token ***"),
        text,
      ).toBe(true);
      expect(text).not.toContain(secrets.GREETING);
      expect(outcome.message).not.toContain(secrets.GREETING);
    } finally {
      await drive({ op: "remove", workflow: other });
    }
  });

  it("stops, disables and removes the service", async () => {
    await drive({ op: "remove" });
    const unit = `capstan-${workflow}-${service}.service`;
    expect(host.tryExec(["systemctl", "is-active", unit]).stdout.trim()).not.toBe("active");
    expect(host.tryExec(["test", "-e", `/etc/systemd/system/${unit}`]).code).not.toBe(0);
    expect(host.tryExec(["test", "-e", `${stateDir}/systemd/${workflow}/${service}`]).code).not.toBe(0);
  });
});
