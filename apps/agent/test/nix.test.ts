// Nix runtime inside a real systemd host with Debian's nix-bin, offline: a flake with no inputs
// (a Git repository whose derivation copies a small Node server into the store) is built into a
// per-release out-link and runs as a hardened unit whose ExecStart= is in /nix/store; a second
// revision replaces it; rollback switches back without building; prune and remove drop the GC
// roots so Nix may collect the store paths. Hostile flake references never reach nix.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  dockerEngine,
  dockerImage,
  requireComponents,
  SYSTEMD_NIX_HOST_IMAGE,
  waitFor,
} from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle, freePort, type SystemdHost, startSystemdHost, tempDir, uniqueName } from "./helpers";

const execFileAsync = promisify(execFile);

const ok = requireComponents("nix runtime", dockerEngine(), dockerImage(SYSTEMD_NIX_HOST_IMAGE));

const FLAKE = `{
  outputs = { self }: {
    packages.x86_64-linux.default = derivation {
      name = "capstan-nix-test";
      system = "x86_64-linux";
      builder = "/bin/sh";
      PATH = "/usr/bin:/bin";
      args = [ "-c" "echo capstan-build-log-$(cat \${./rev}); mkdir -p $out/bin; cp \${./server.js} $out/bin/server; chmod 555 $out/bin/server" ];
    };
  };
}
`;
const serverJs = (rev: string) => `#!/usr/local/bin/node
require("node:http")
  .createServer((req, res) => res.end("${rev} " + process.env.GREETING))
  .listen(Number(process.env.PORT), "127.0.0.1");
`;

describe.skipIf(!ok)("nix runtime (real systemd host with nix-bin)", () => {
  const work = tempDir("nix");
  const workflow = uniqueName("nx");
  const service = "web";
  const unit = `capstan-${workflow}-${service}.service`;
  const slotB = `capstan-${workflow}-${service}_b.service`;
  const stateDir = "/var/lib/capstan-test";
  const serviceDir = `${stateDir}/nix/${workflow}/${service}`;
  const secrets = { GREETING: "it's $(touch /tmp/pwned) `id` %n" };
  let host: SystemdHost;
  let port: number;
  const storePaths: Record<string, string> = {};

  const drive = async (command: Record<string, unknown>) => {
    const payload = JSON.stringify({ stateDir, workflow, service, ...command });
    const { stdout } = await execFileAsync(
      "docker",
      ["exec", host.name, "node", "/capstan-test/driver.cjs", payload],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    return JSON.parse(stdout) as { result?: unknown; error?: string; logs: string[] };
  };
  const spec = (nix: Record<string, unknown> = {}) => ({
    nix: { flake: "/srv/app", attribute: "packages.x86_64-linux.default", exec: ["bin/server"], ...nix },
    env: { PORT: String(port) },
    secrets: ["GREETING"],
    healthChecks: [{ http: { url: `http://127.0.0.1:${port}/` } }],
  });
  /** Writes the flake's source for a revision and `git add`s it (Nix reads Git flakes' index). */
  const writeSource = (rev: string) => {
    host.exec(["sh", "-c", "cat > /srv/app/server.js"], serverJs(rev));
    host.exec(["sh", "-c", "cat > /srv/app/rev"], `${rev}\n`);
    host.exec(["git", "-C", "/srv/app", "add", "-A"]);
  };
  const get = async () => (await fetch(`http://127.0.0.1:${port}/`)).text();
  const healthy = (command: Record<string, unknown> = {}) =>
    waitFor(
      `${unit} healthy`,
      async () => {
        const probe = (await drive({ op: "probe", spec: spec(), ...command })).result as { status: string };
        return probe.status === "HEALTHY" && probe;
      },
      { timeoutMs: 60_000, context: () => host.tryExec(["systemctl", "status", "--no-pager", unit]).stdout },
    );
  const installedExecStart = () =>
    /^ExecStart=(\S+)/m.exec(host.exec(["cat", `/etc/systemd/system/${unit}`]))?.[1] ?? "";
  const deploy = async (releaseId: string, revision: number) => {
    const staged = await drive({ op: "stage", releaseId, revision, spec: spec(), secrets });
    expect(staged.error, staged.logs.join("\n")).toBeUndefined();
    const activated = await drive({ op: "activate", releaseId });
    expect(activated.error, activated.logs.join("\n")).toBeUndefined();
    await healthy();
    storePaths[releaseId] = (await drive({ op: "storePath", releaseId })).result as string;
    return { staged, activated };
  };

  beforeAll(async () => {
    port = await freePort();
    await bundle(join(__dirname, "fixtures/nix-driver.ts"), join(work, "driver.cjs"));
    host = await startSystemdHost("capstan-agent-nix", { [work]: "/capstan-test" }, SYSTEMD_NIX_HOST_IMAGE);
    host.exec(["sh", "-c", "mkdir -p /srv/app && cat > /srv/app/flake.nix"], FLAKE);
    host.exec(["git", "init", "-q", "/srv/app"]);
    writeSource("r1");
  });

  afterAll(() => host?.remove());

  it("builds revision 1 into the store and runs it as a hardened unit, build log in the deploy log", async () => {
    const { staged, activated } = await deploy("r1-aaaa", 1);
    expect(staged.logs).toContain("info: nix: building /srv/app#packages.x86_64-linux.default");
    expect(staged.logs.some((l) => /^info: nix: capstan-nix-test> capstan-build-log-r1$/.test(l))).toBe(true);
    expect(activated.logs).toEqual([
      `info: nix: ${unit} restarted with release r1-aaaa (${storePaths["r1-aaaa"]})`,
    ]);
    expect(storePaths["r1-aaaa"]).toMatch(/^\/nix\/store\/[0-9a-z]{32}-capstan-nix-test$/);
    expect(installedExecStart()).toBe(`${storePaths["r1-aaaa"]}/bin/server`);
    expect(await get()).toBe(`r1 ${secrets.GREETING}`);
    expect(host.exec(["systemctl", "is-enabled", unit]).trim()).toBe("enabled");
    expect(host.exec(["systemctl", "show", "-p", "DynamicUser", "-p", "ProtectSystem", unit])).toBe(
      "DynamicUser=yes\nProtectSystem=strict\n",
    );
    // Node calls outside @system-service: the filter stays, answering EPERM instead of killing.
    expect(host.exec(["cat", `/etc/systemd/system/${unit}`])).toContain(
      "SystemCallFilter=@system-service\nSystemCallErrorNumber=EPERM\n",
    );
    const security = host.exec(["systemd-analyze", "security", "--no-pager", unit]);
    expect(Number(/Overall exposure level for .*: (\d+\.\d+)/.exec(security)?.[1])).toBeLessThanOrEqual(2.0);
    // The out-link is the release's GC root; secrets only in the 0600 EnvironmentFile.
    expect(host.exec(["readlink", `${serviceDir}/releases/r1-aaaa/result`]).trim()).toBe(
      storePaths["r1-aaaa"],
    );
    expect(host.exec(["stat", "-c", "%a %U", `${serviceDir}/releases/r1-aaaa/env`]).trim()).toBe("600 root");
    expect(host.exec(["cat", `/etc/systemd/system/${unit}`])).not.toContain("GREETING");
    expect(host.tryExec(["test", "-e", "/tmp/pwned"]).code).not.toBe(0);
    expect((await drive({ op: "current" })).result).toBe("r1-aaaa");
  });

  it("deploys revision 2: a new store path", async () => {
    writeSource("r2");
    const { staged } = await deploy("r2-bbbb", 2);
    expect(staged.logs.some((l) => /capstan-build-log-r2$/.test(l))).toBe(true);
    expect(storePaths["r2-bbbb"]).not.toBe(storePaths["r1-aaaa"]);
    expect(installedExecStart()).toBe(`${storePaths["r2-bbbb"]}/bin/server`);
    expect(await get()).toBe(`r2 ${secrets.GREETING}`);
    expect((await drive({ op: "current" })).result).toBe("r2-bbbb");
  });

  it("refuses a build that fails, leaving the running release alone", async () => {
    const failed = await drive({
      op: "stage",
      releaseId: "r3-cccc",
      revision: 3,
      spec: spec({ attribute: "nosuch" }),
      secrets,
    });
    expect(failed.error).toMatch(
      /nix build exited with 1: .*does not provide attribute 'packages\.x86_64-linux\.nosuch'/s,
    );
    expect(failed.logs.some((l) => /^info: nix: error: flake .* does not provide attribute/.test(l))).toBe(
      true,
    );
    expect((await drive({ op: "has", releaseId: "r3-cccc" })).result).toBe(false);
    expect(host.tryExec(["test", "-e", `${serviceDir}/releases/r3-cccc`]).code).not.toBe(0);
    expect(await get()).toBe(`r2 ${secrets.GREETING}`);
  });

  it("rolls back to revision 1 without building: same store path, no nix run", async () => {
    // The source now says r3: a rebuild would serve r3, and would add to the store.
    writeSource("r3");
    const storeBefore = host.exec(["ls", "/nix/store"]);
    expect((await drive({ op: "has", releaseId: "r1-aaaa" })).result).toBe(true);
    const rollback = await drive({ op: "activate", releaseId: "r1-aaaa" });
    expect(rollback.error).toBeUndefined();
    expect(rollback.logs).toEqual([
      `info: nix: ${unit} restarted with release r1-aaaa (${storePaths["r1-aaaa"]})`,
    ]);
    await healthy();
    expect(installedExecStart()).toBe(`${storePaths["r1-aaaa"]}/bin/server`);
    expect(await get()).toBe(`r1 ${secrets.GREETING}`);
    expect(host.exec(["ls", "/nix/store"])).toBe(storeBefore);
    expect((await drive({ op: "current" })).result).toBe("r1-aaaa");
  });

  it("reports a stopped unit as STOPPED", async () => {
    await drive({ op: "stop" });
    const probe = (await drive({ op: "probe", spec: spec() })).result;
    expect(probe).toEqual({ status: "STOPPED", detail: `${unit} is inactive` });
    await drive({ op: "activate", releaseId: "r1-aaaa" });
    await healthy();
  });

  it("prunes old releases but never the running one; a pruned store path is garbage", async () => {
    const pruned = await drive({ op: "prune", keep: 0 });
    expect(pruned.error).toBeUndefined();
    expect((await drive({ op: "has", releaseId: "r1-aaaa" })).result).toBe(true);
    expect((await drive({ op: "has", releaseId: "r2-bbbb" })).result).toBe(false);
    // nix-store --delete refuses a path that is still reachable from a GC root.
    expect(host.tryExec(["nix-store", "--delete", storePaths["r1-aaaa"]!]).code).not.toBe(0);
    expect(host.tryExec(["nix-store", "--delete", storePaths["r2-bbbb"]!]).code).toBe(0);
    expect(await get()).toBe(`r1 ${secrets.GREETING}`);
  });

  it("never hands a hostile flake reference or attribute to nix", async () => {
    for (const nix of [
      { flake: "/srv/app;touch /tmp/pwned" },
      { flake: "--option" },
      { flake: "/srv/app\n--option substituters http://127.0.0.1:1" },
      { attribute: "default$(touch /tmp/pwned)" },
      { attribute: "--impure" },
    ]) {
      // Skips the driver's schema parse: the runtime must refuse on its own.
      const refused = await drive({ op: "stage", releaseId: "r9-eeee", revision: 9, rawSpec: spec(nix) });
      expect(refused.error, JSON.stringify(nix)).toMatch(/^nix\.(flake|attribute) is refused: /);
      expect(refused.logs).toEqual([]);
      expect(host.tryExec(["test", "-e", `${serviceDir}/releases/r9-eeee`]).code).not.toBe(0);
    }
    expect(host.tryExec(["test", "-e", "/tmp/pwned"]).code).not.toBe(0);
  });

  it("switches a routed release with portEnv beside the running one, in slot b on a port of its own", async () => {
    writeSource("r5");
    const routed = {
      ...spec({ portEnv: "PORT" }),
      env: {},
      domains: [{ host: "nix-zd.capstan.test", port }],
      healthChecks: [{ http: { url: `http://127.0.0.1:${port}/` } }],
    };
    const deployed = await drive({
      op: "deploy",
      releaseId: "r5-ffff",
      revision: 5,
      previousReleaseId: "r1-aaaa",
      spec: routed,
      secrets,
    });
    const result = deployed.result as {
      outcome: { ok: boolean; routed?: boolean };
      routedTo: number;
      unit: string;
    };
    expect(deployed.error, deployed.logs.join("\n")).toBeUndefined();
    expect(result.outcome, deployed.logs.join("\n")).toMatchObject({ ok: true, routed: true });
    expect(deployed.logs).toContain("info: nix: starting release r5-ffff beside release r1-aaaa");
    expect(result.unit).toBe(slotB);
    expect(result.routedTo).not.toBe(port);
    // The new release answers on slot b's port; the old unit (slot a) is stopped and removed.
    expect(await (await fetch(`http://127.0.0.1:${result.routedTo}/`)).text()).toBe(`r5 ${secrets.GREETING}`);
    expect(host.tryExec(["test", "-e", `/etc/systemd/system/${unit}`]).code).not.toBe(0);
    expect(host.exec(["systemctl", "is-enabled", slotB]).trim()).toBe("enabled");
    expect((await drive({ op: "current" })).result).toBe("r5-ffff");
  });

  it("removes the unit and every release, releasing the GC roots", async () => {
    expect((await drive({ op: "remove" })).error).toBeUndefined();
    expect(host.tryExec(["systemctl", "is-active", unit]).stdout.trim()).not.toBe("active");
    expect(host.tryExec(["test", "-e", `/etc/systemd/system/${unit}`]).code).not.toBe(0);
    expect(host.tryExec(["test", "-e", `/etc/systemd/system/${slotB}`]).code).not.toBe(0);
    expect(host.tryExec(["test", "-e", serviceDir]).code).not.toBe(0);
    expect((await drive({ op: "current" })).result).toBeNull();
    expect(host.tryExec(["nix-store", "--delete", storePaths["r1-aaaa"]!]).code).toBe(0);
  });
});
