// Private registries against real parts: Debian's docker-registry with htpasswd auth on loopback,
// the real Engine and docker-compose. With credentials the pull works; without, the deploy fails
// saying what to add; a wrong password fails the login. Afterwards the password is nowhere: not in
// the deploy log, the outcome, the agent's state folder or a leftover DOCKER_CONFIG folder.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { composeServiceSpecSchema, DEFAULT_HOST_POLICY } from "@capstan/templates";
import { dockerEngine, dockerImage, executable, requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, freePort, removeComposeProject, tempDir, uniqueName } from "../../test/helpers";
import { DockerHost } from "../docker";
import { ComposeRuntime } from "./compose";
import { deployRelease } from "./deploy-release";

const ok = requireComponents(
  "private registries",
  dockerEngine(),
  dockerImage("capstan-busybox:test"),
  executable("/usr/bin/docker-registry"),
  executable("/usr/bin/htpasswd"),
);

const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Every file under dir (recursively) whose bytes contain needle. */
function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && readFileSync(path).includes(needle)) found.push(path);
    }
  };
  walk(dir);
  return found;
}

const dockerConfigFolders = () => readdirSync(tmpdir()).filter((n) => n.startsWith("capstan-docker-config-"));

describe.skipIf(!ok)("private registries (real docker-registry)", { timeout: 300_000 }, () => {
  const username = "deployer";
  const password = `pw-${randomBytes(16).toString("hex")}`;
  const registryDir = tempDir("registry");
  let registry: ChildProcess | undefined;
  let pushConfig = "";
  let server = "";
  let image = "";
  const workflow = uniqueName("reg");
  const stateDir = tempDir("registry-state");
  const runtime = new ComposeRuntime(stateDir, new DockerHost("/var/run/docker.sock", false), { PATH });
  const ref = { workflow, service: "web" };
  const project = runtime.project(workflow, "web");
  const lines: string[] = [];
  const before = new Set(dockerConfigFolders());
  /** What the DOCKER_CONFIG folder looked like right after the login, seen from the deploy log. */
  const seen: { name: string; mode: number; servers: string[] }[] = [];
  const log = (_level: string, message: string) => {
    lines.push(message);
    if (!message.startsWith("registry: logged in")) return;
    for (const name of dockerConfigFolders().filter((n) => !before.has(n))) {
      const config = JSON.parse(readFileSync(join(tmpdir(), name, "config.json"), "utf8"));
      seen.push({
        name,
        mode: statSync(join(tmpdir(), name)).mode & 0o777,
        servers: Object.keys(config.auths),
      });
    }
  };

  beforeAll(async () => {
    const port = await freePort();
    server = `127.0.0.1:${port}`;
    image = `${server}/busybox:${uniqueName("t")}`;
    execFileSync("/usr/bin/htpasswd", ["-B", "-i", "-c", join(registryDir, "htpasswd"), username], {
      input: password,
    });
    writeFileSync(
      join(registryDir, "config.yml"),
      [
        "version: 0.1",
        "log: { level: error }",
        `storage: { filesystem: { rootdirectory: ${join(registryDir, "data")} } }`,
        `http: { addr: "${server}", secret: ${randomBytes(8).toString("hex")} }`,
        `auth: { htpasswd: { realm: capstan-test, path: ${join(registryDir, "htpasswd")} } }`,
      ].join("\n"),
    );
    registry = spawn("/usr/bin/docker-registry", ["serve", join(registryDir, "config.yml")], {
      stdio: "ignore",
    });
    const until = Date.now() + 60_000;
    for (;;) {
      const status = await fetch(`http://${server}/v2/`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 401) break;
      if (Date.now() > until)
        throw new Error(`the registry on ${server} did not come up (last status ${status})`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // Push with the test's own throw-away DOCKER_CONFIG, then drop the local tag.
    pushConfig = tempDir("push-config");
    const env = { PATH, DOCKER_CONFIG: pushConfig };
    execFileSync("docker", ["login", "--username", username, "--password-stdin", server], {
      input: password,
      env,
    });
    docker(["tag", "capstan-busybox:test", image]);
    execFileSync("docker", ["push", image], { env, stdio: "pipe" });
    docker(["rmi", image]);
  }, 120_000);

  afterAll(() => {
    removeComposeProject(project);
    try {
      docker(["rmi", image]);
    } catch {
      // not pulled
    }
    registry?.kill();
    // The test's own login and the registry's files (its htpasswd holds a hash of the password).
    for (const dir of [pushConfig, registryDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const spec = (port: number) =>
    composeServiceSpecSchema.parse({
      compose: {
        inline: {
          services: {
            web: {
              image,
              command: [
                "sh",
                "-c",
                "mkdir -p /www && echo pulled > /www/index.html && exec httpd -f -p 8080 -h /www",
              ],
              ports: [`127.0.0.1:${port}:8080`],
            },
          },
        },
      },
      healthChecks: [{ http: { url: `http://127.0.0.1:${port}/` } }],
      deadline: 90,
    });
  const deploy = async (
    releaseId: string,
    registries?: { server: string; username: string; password: string }[],
  ) =>
    deployRelease(
      runtime,
      {
        request: {
          ref,
          releaseId,
          revision: { number: 1, hash: "b".repeat(64) },
          spec: spec(await freePort()),
          secrets: {},
          hostPolicy: DEFAULT_HOST_POLICY,
        },
        autoRollback: false,
        keepReleases: 3,
        stateDir: stateDir,
        registries,
      },
      { log, signal: new AbortController().signal, deadline: Date.now() + 90_000 },
    );

  it("refuses the pull without credentials, saying what to add", async () => {
    const outcome = await deploy("r1-none");
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/no basic auth credentials|unauthorized|denied/i);
    expect(outcome.message).toContain("`registries:`");
    removeComposeProject(project);
  });

  it("fails the login with a wrong password, naming the registry and never the password", async () => {
    const wrong = `${password}-wrong`;
    const outcome = await deploy("r2-wrong", [{ server, username, password: wrong }]);
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toContain(`docker login to registry ${server} as ${username} failed`);
    expect(outcome.message).not.toContain(wrong);
    expect(lines.join("\n")).not.toContain(wrong);
  });

  it("pulls with credentials logged in to a per-deploy DOCKER_CONFIG, and leaves the password nowhere", async () => {
    const outcome = await deploy("r3-creds", [{ server, username, password }]);
    expect(outcome).toMatchObject({ ok: true, activeReleaseId: "r3-creds" });
    expect(lines).toContain(`registry: logged in to ${server} as ${username} for this deploy`);
    expect(docker(["image", "inspect", "--format", "{{.Id}}", image]).trim()).not.toBe("");

    expect(lines.join("\n")).not.toContain(password);
    expect(JSON.stringify(outcome)).not.toContain(password);
    expect(filesContaining(stateDir, password)).toEqual([]);
    // The containers were not handed the credentials either.
    const ids = docker(["ps", "-q", "--filter", `label=com.docker.compose.project=${project}`])
      .trim()
      .split("\n");
    expect(docker(["inspect", ...ids])).not.toContain(password);
    // The login went into a private per-deploy folder, which is gone again afterwards.
    expect(seen).toEqual([expect.objectContaining({ mode: 0o700, servers: [server] })]);
    expect(seen[0]!.name).toMatch(/^capstan-docker-config-/);
    expect(dockerConfigFolders().filter((n) => !before.has(n))).toEqual([]);
    expect(statSync(stateDir).isDirectory()).toBe(true);
  });
});
