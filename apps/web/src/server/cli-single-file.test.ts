// The installable CLI end to end: the control plane (real route handlers on loopback, a fresh
// PostgreSQL database, a real agent on this machine's Docker Engine) serves the single-file build
// at /cli/capstan.mjs; downloaded into an empty folder with no node_modules anywhere above it, it
// logs in (config file 0600), deploys a workflow with --wait to the real host and reads its
// status. A wrong token is refused and nothing is written. `curl <url>/cli | sh` in an empty HOME
// installs a `capstan` that runs; a bundle changed on the way is refused.
import { execFile, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { executable, removeComposeProject, requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX_IMAGE, machineAgentComponents, type RealHosts, startRealHosts } from "../../test/real-hosts";

const IMAGE = BUSYBOX_IMAGE;
const ok = requireComponents(
  "web/cli-single-file",
  ...(await machineAgentComponents()),
  executable("/usr/bin/curl"),
);

const sfx = randomBytes(3).toString("hex");
const HOST = `cli-dock-${sfx}`;
const NAME = `cli-single-${sfx}`;
const PROJECT = `capstan-${NAME}-web`;
const CLI_BUILD = join(import.meta.dirname, "../../../cli/scripts/build.mjs");

const temps: string[] = [];
function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program with only the environment given (plus PATH), feeding `stdin` when set. */
function run(
  program: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; stdin?: string },
) {
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: { NODE_ENV: "test", PATH: process.env.PATH ?? "", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 99, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

describe.skipIf(!ok)("the single-file capstan CLI, served by the control plane", () => {
  let hosts: RealHosts;
  let dist = "";
  let work = "";
  let home = "";
  const capstan = (args: string[], stdin?: string) =>
    run(process.execPath, [join(work, "capstan.mjs"), ...args], { cwd: work, env: { HOME: home }, stdin });

  beforeAll(async () => {
    // Built from this checkout's source now, so the test never runs a stale dist/.
    dist = temp("capstan-cli-dist-");
    await promisify(execFile)(process.execPath, [CLI_BUILD, "--out", dist]);
    process.env.CAPSTAN_CLI_DIST_DIR = dist;
    hosts = await startRealHosts("CLI Single File");
    await hosts.startMachineAgent(HOST);
    await hosts.waitOnline(HOST);
    work = temp("capstan-cli-work-");
    home = temp("capstan-cli-home-");
  }, 180_000);

  afterAll(async () => {
    await hosts?.close();
    await removeComposeProject(PROJECT);
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("downloads as one file that runs with no node_modules reachable", async () => {
    const response = await fetch(`${hosts.url}/cli/capstan.mjs`);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(response.headers.get("x-capstan-sha256")).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(bytes.subarray(0, 20).toString()).toBe("#!/usr/bin/env node\n");
    writeFileSync(join(work, "capstan.mjs"), bytes);
    // Node looks for packages in node_modules of every folder above the script: there are none.
    for (let dir = work; dir !== dirname(dir); dir = dirname(dir))
      expect(existsSync(join(dir, "node_modules")), dir).toBe(false);
    const version = await capstan(["--version"]);
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^capstan \d+\.\d+\.\d+\n$/) });
  });

  it("refuses a wrong token with a clear message and writes nothing", async () => {
    const wrong = `cst_${"A".repeat(43)}`;
    const result = await capstan(["login", "--url", hosts.url, "--token", wrong]);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/refused the token: .*\(HTTP 401\)\. Nothing was saved; check the token/);
    expect(result.stdout + result.stderr).not.toContain(wrong);
    expect(existsSync(join(home, ".config"))).toBe(false);
  });

  it("logs in (token from stdin, file 0600), deploys with --wait to a real host, reads the status", async () => {
    const token = await hosts.token("ADMIN");
    const login = await capstan(["login", "--url", hosts.url], `${token}\n`);
    expect(login.stderr).toBe("");
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`Logged in to ${hosts.url}`);
    expect(login.stdout).not.toContain(token);
    const config = join(home, ".config", "capstan", "config.json");
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(config)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(config, "utf8"))).toEqual({ url: hosts.url, token });

    writeFileSync(
      join(work, "capstan.yaml"),
      `name: ${NAME}
targets: { hosts: [${HOST}] }
services:
  web:
    compose:
      inline:
        services:
          app: { image: ${IMAGE}, command: ["sleep", "3600"], stop_grace_period: 1s }
`,
    );
    // No CAPSTAN_URL / CAPSTAN_TOKEN: the stored login is what it uses.
    const deploy = await capstan(["deploy", "capstan.yaml", "--wait", "--timeout", "240"]);
    expect(deploy.code, `${deploy.stdout}\n${deploy.stderr}\n${hosts.context()}`).toBe(0);
    expect(deploy.stdout).toMatch(new RegExp(`${HOST}\\s+web: succeeded`));
    const id = /deployment ([0-9a-f-]{36}): SUCCEEDED/.exec(deploy.stdout)?.[1];
    expect(id, deploy.stdout).toBeDefined();

    const status = await capstan(["status", id!]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`deployment ${id}: SUCCEEDED (${NAME} revision 1)`);
    expect(status.stdout).toMatch(new RegExp(`${HOST}: succeeded \\(web succeeded\\)`));

    const logout = await capstan(["logout"]);
    expect(logout).toMatchObject({ code: 0, stdout: `Logged out: removed ${config}\n` });
    expect(existsSync(config)).toBe(false);
    const after = await capstan(["status", id!]);
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/or run `capstan login` once/);
  }, 300_000);

  it("installs with `curl <url>/cli | sh` into an empty HOME, and refuses a bundle changed on the way", async () => {
    const shHome = temp("capstan-cli-sh-home-");
    const installed = await run("sh", ["-c", `curl -fsSL '${hosts.url}/cli' | sh`], {
      cwd: shHome,
      env: { HOME: shHome },
    });
    const target = join(shHome, ".local", "bin", "capstan");
    expect(installed.stderr).toBe("");
    expect(installed.code).toBe(0);
    expect(installed.stdout).toMatch(
      new RegExp(`installed capstan \\d+\\.\\d+\\.\\d+ at ${target} \\(Node\\.js v`),
    );
    expect(installed.stdout).toContain(`${dirname(target)} is not on your PATH`);
    expect(installed.stdout).toContain(`next: capstan login --url ${hosts.url}`);
    const version = await run(target, ["--version"], { cwd: shHome, env: {} });
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^capstan \d+\.\d+\.\d+\n$/) });

    // The script pins the bundle's sha256: a different file (here: the pin changed) installs nothing.
    const prefix = temp("capstan-cli-prefix-");
    const script = (await (await fetch(`${hosts.url}/cli`)).text()).replace(
      /^SHA256='[0-9a-f]{64}'$/m,
      `SHA256='${"0".repeat(64)}'`,
    );
    writeFileSync(join(prefix, "install.sh"), script);
    const refused = await run("sh", [join(prefix, "install.sh"), "--prefix", prefix], {
      cwd: prefix,
      env: {},
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the downloaded capstan\.mjs has sha256 [0-9a-f]{64}, expected 0{64}/);
    expect(existsSync(join(prefix, "bin", "capstan"))).toBe(false);
  }, 120_000);

  it("says how to build the CLI when the control plane has none, through the pipe too", async () => {
    renameSync(join(dist, "capstan.mjs"), join(dist, "moved.mjs"));
    try {
      const file = await fetch(`${hosts.url}/cli/capstan.mjs`);
      expect(file.status).toBe(503);
      expect(await file.text()).toMatch(/no build of the capstan CLI.*npm run build -w @capstan\/cli/);
      const shHome = temp("capstan-cli-nobuild-");
      // The reason reaches the user through `curl -f | sh` (an error status would be swallowed).
      const piped = await run("sh", ["-c", `curl -fsSL '${hosts.url}/cli' | sh`], {
        cwd: shHome,
        env: { HOME: shHome },
      });
      expect(piped.code).toBe(1);
      expect(piped.stderr).toMatch(
        /^capstan: error: This control plane has no build of the capstan CLI\. Its operator builds it with `npm run build -w @capstan\/cli`/,
      );
      expect(existsSync(join(shHome, ".local"))).toBe(false);
    } finally {
      renameSync(join(dist, "moved.mjs"), join(dist, "capstan.mjs"));
    }
  });
});
