// A Compose project from a bundle against the real Docker Engine and docker-compose: the image is
// built on the host from the bundle's Dockerfile, the env file and the config file come from the
// bundle, a missing env file is written from the service's env, and `./data` is a persistent
// folder. Release 2 of the same bundle does not rebuild; data survives it and a rollback; a
// hostile bundle is refused with nothing written outside the release folder.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { composeServiceSpecSchema, DEFAULT_HOST_POLICY } from "@capstan/templates";
import { composeBuildImageTag } from "@capstan/templates/compose/compose-project";
import { dockerEngine, dockerImage, requireComponents } from "@capstan/testkit";
import { c as createTar } from "tar";
import { afterAll, describe, expect, it } from "vitest";
import { docker, freePort, removeComposeProject, tempDir, uniqueName } from "../../test/helpers";
import { rawBundle } from "../../test/raw-bundle";
import { DockerHost } from "../docker";
import { BundleCache } from "./bundles";
import { ComposeRuntime } from "./compose";
import { deployRelease } from "./deploy-release";

const ok = requireComponents("compose projects", dockerEngine(), dockerImage("capstan-busybox:test"));

const COMPOSE = `services:
  web:
    build: ./web
    env_file:
      - ./app.env
      - ./generated.env
    environment:
      MARK: \${MARK}
    ports:
      - "127.0.0.1:\${PORT}:8080"
    volumes:
      - ./site.conf:/www/config.txt:ro
      - ./data:/www/data
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/built.txt"]
      interval: 1s
      timeout: 2s
      retries: 30
`;

const DOCKERFILE = `FROM capstan-busybox:test
COPY hello.txt /hello.txt
CMD ["sh", "-c", "mkdir -p /www && cp /hello.txt /www/built.txt && echo \\"$GREETING\\" > /www/env.txt && echo \\"$MARK\\" > /www/mark.txt && echo \\"$FROM_SPEC\\" > /www/spec.txt && exec httpd -f -p 8080 -h /www"]
`;

/** The project folder a user would upload, packed as the CLI does. */
async function projectBundle(): Promise<Buffer> {
  const src = tempDir("project-src");
  mkdirSync(join(src, "web"));
  writeFileSync(join(src, "compose.yaml"), COMPOSE);
  writeFileSync(join(src, "web", "Dockerfile"), DOCKERFILE);
  writeFileSync(join(src, "web", "hello.txt"), "built-from-bundle\n");
  writeFileSync(join(src, "app.env"), "GREETING=from-env-file\n");
  writeFileSync(join(src, "site.conf"), "listen 8080; # config-from-bundle\n");
  const out = join(tempDir("project-tar"), "bundle.tar.gz");
  await createTar({ gzip: true, cwd: src, portable: true, file: out }, readdirSync(src));
  return readFileSync(out);
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

async function get(port: number, path: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return response.ok ? (await response.text()).trim() : `HTTP ${response.status}`;
}

describe.skipIf(!ok)("compose projects from bundles (real Docker)", async () => {
  const bundle = ok ? await projectBundle() : Buffer.alloc(0);
  const hostile = rawBundle([
    { path: "compose.yaml", body: COMPOSE },
    { path: "etc", type: "SymbolicLink", linkpath: "/etc" },
    { path: "../escaped.txt", body: "x" },
  ]);
  const served = new Map([bundle, hostile].map((b) => [sha256(b), b]));
  const downloads: string[] = [];
  // The control plane's side of downloadBundle: the bytes it stores for a sha256.
  const client = {
    downloadBundle: async (sha: string) => {
      downloads.push(sha);
      const data = served.get(sha)!;
      return { body: new Blob([new Uint8Array(data)]).stream(), sha256: sha, size: data.length };
    },
  };
  const stateDir = tempDir("compose-project");
  const runtime = new ComposeRuntime(
    join(stateDir, "compose"),
    new DockerHost("/var/run/docker.sock", false),
    { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
    new BundleCache(join(stateDir, "bundles"), client as never),
  );
  const workflow = uniqueName("proj");
  const service = "site";
  const ref = { workflow, service };
  const tag = composeBuildImageTag(workflow, service, "web", sha256(bundle));
  const signal = new AbortController().signal;

  afterAll(() => {
    removeComposeProject(runtime.project(workflow, service));
    try {
      docker(["image", "rm", "-f", tag]);
    } catch {
      // not built
    }
  });

  const deploy = async (
    releaseId: string,
    mark: string,
    port: number,
    data: Buffer,
    previousReleaseId?: string,
  ) => {
    const lines: string[] = [];
    const spec = composeServiceSpecSchema.parse({
      compose: { file: "compose.yaml" },
      env: { PORT: String(port), MARK: mark, FROM_SPEC: "written-from-env" },
      healthChecks: [{ http: { url: `http://127.0.0.1:${port}/built.txt` } }],
      deadline: 240,
    });
    const outcome = await deployRelease(
      runtime,
      {
        request: {
          ref,
          releaseId,
          revision: { number: 1, hash: "b".repeat(64) },
          spec,
          secrets: {},
          hostPolicy: DEFAULT_HOST_POLICY,
          bundle: { sha256: sha256(data), size: data.length },
        },
        previousReleaseId,
        autoRollback: false,
        keepReleases: 3,
        stateDir: stateDir,
      },
      { log: (_l, m) => lines.push(m), signal, deadline: Date.now() + 240_000 },
    );
    return { outcome, lines };
  };

  it("builds, runs in its project folder, keeps data, and does not rebuild the same bundle", async () => {
    const port = await freePort();
    const first = await deploy("r1-proj", "one", port, bundle);
    expect(first.outcome.message).toMatch(/healthy/);
    expect(first.outcome.ok).toBe(true);
    expect(first.lines).toContain(`compose: building web as ${tag}`);
    // Build output streamed line by line into the deploy log.
    expect(first.lines.some((l) => /^compose build: .*COPY hello\.txt/.test(l))).toBe(true);
    expect(await get(port, "/built.txt")).toBe("built-from-bundle");
    expect(await get(port, "/config.txt")).toBe("listen 8080; # config-from-bundle");
    expect(await get(port, "/env.txt")).toBe("from-env-file");
    expect(await get(port, "/spec.txt")).toBe("written-from-env");
    expect(await get(port, "/mark.txt")).toBe("one");
    const imageId = docker(["image", "inspect", "--format", "{{.Id}}", tag]).trim();

    // Data written by the service lands in the service's data folder, outside the release.
    const container = docker([
      "ps",
      "-q",
      "--filter",
      `label=com.docker.compose.project=${runtime.project(workflow, service)}`,
    ]).trim();
    docker(["exec", container, "sh", "-c", "echo kept-across-releases > /www/data/note.txt"]);
    const dataFile = join(stateDir, "compose", workflow, service, "data", "data", "note.txt");
    expect(readFileSync(dataFile, "utf8").trim()).toBe("kept-across-releases");

    const second = await deploy("r2-proj", "two", port, bundle, "r1-proj");
    expect(second.outcome.ok).toBe(true);
    expect(second.lines).toContain(`compose: image ${tag} exists; not rebuilding web`);
    expect(
      second.lines.some((l) => l.startsWith("compose build:") || l.startsWith("compose: building")),
    ).toBe(false);
    expect(docker(["image", "inspect", "--format", "{{.Id}}", tag]).trim()).toBe(imageId);
    expect(await runtime.currentRelease(ref)).toBe("r2-proj");
    expect(await get(port, "/mark.txt")).toBe("two");
    expect(await get(port, "/data/note.txt")).toBe("kept-across-releases");

    // A rollback to release 1: its folder and image are still there, nothing is built.
    const back = await deploy("r1-proj", "one", port, bundle, "r2-proj");
    expect(back.outcome.ok).toBe(true);
    expect(back.lines.some((l) => l.startsWith("compose: building"))).toBe(false);
    expect(await runtime.currentRelease(ref)).toBe("r1-proj");
    expect(await get(port, "/mark.txt")).toBe("one");
    expect(await get(port, "/data/note.txt")).toBe("kept-across-releases");
    expect(docker(["image", "inspect", "--format", "{{.Id}}", tag]).trim()).toBe(imageId);
    // Fetched once; later releases unpack from the cache (or reuse their folder).
    expect(downloads.filter((s) => s === sha256(bundle))).toHaveLength(1);

    // Pruning keeps the image a kept release uses, and the data folder.
    await runtime.prune(ref, 1, ["r1-proj"]);
    expect(await runtime.hasRelease(ref, "r2-proj")).toBe(false);
    expect(docker(["image", "inspect", "--format", "{{.Id}}", tag]).trim()).toBe(imageId);
    expect(existsSync(dataFile)).toBe(true);
  }, 600_000);

  it("refuses a hostile bundle (a link to /etc, a `..` entry) and writes nothing outside", async () => {
    const port = await freePort();
    const before = readdirSync(join(stateDir, "compose", workflow, service)).sort();
    const { outcome } = await deploy("r3-evil", "evil", port, hostile, "r1-proj");
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/the bundle's entry `etc` is a symlink to an absolute path \(\/etc\)/);
    expect(await runtime.hasRelease(ref, "r3-evil")).toBe(false);
    expect(readdirSync(join(stateDir, "compose", workflow, service)).sort()).toEqual(before);
    expect(readdirSync(join(stateDir, "compose", workflow, service, "releases"))).toEqual(["r1-proj"]);
    expect(existsSync(join(stateDir, "compose", workflow, service, "escaped.txt"))).toBe(false);
    expect(existsSync(join(stateDir, "compose", workflow, service, "releases", "escaped.txt"))).toBe(false);
    // What ran before still runs.
    expect(await runtime.currentRelease(ref)).toBe("r1-proj");
  }, 120_000);
});
