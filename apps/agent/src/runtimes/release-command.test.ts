// Release commands against the real Docker Engine and docker-compose: the command runs once in a
// one-off container of the new release before it is activated; a failure, a timeout or a cancel
// fails the step and leaves the previous release serving, with no container left behind.
import { composeServiceSpecSchema, DEFAULT_HOST_POLICY } from "@capstan/templates";
import { dockerEngine, dockerImage, requireComponents } from "@capstan/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { docker, freePort, removeComposeProject, tempDir, uniqueName } from "../../test/helpers";
import { DockerHost } from "../docker";
import { ComposeRuntime } from "./compose";
import { deployRelease } from "./deploy-release";

const ok = requireComponents("release commands", dockerEngine(), dockerImage("capstan-busybox:test"));

/** web serves the named volume `data`, which only the release command writes. */
function stack(port: number, command: string[], timeout = 120) {
  return composeServiceSpecSchema.parse({
    compose: {
      inline: {
        services: {
          web: {
            image: "capstan-busybox:test",
            command: ["httpd", "-f", "-p", "8080", "-h", "/data"],
            ports: ["127.0.0.1:${PORT}:8080"],
            volumes: ["data:/data"],
            environment: { MARK: "${MARK}" },
          },
        },
        volumes: { data: {} },
      },
    },
    env: { PORT: String(port), MARK: "from-env" },
    healthChecks: [{ http: { url: `http://127.0.0.1:${port}/` } }],
    deadline: 90,
    release: { command, timeout },
  });
}

describe.skipIf(!ok)("release commands (real Docker)", { timeout: 240_000 }, () => {
  const workflow = uniqueName("rel");
  const service = "web";
  const stateDir = tempDir("release");
  const runtime = new ComposeRuntime(stateDir, new DockerHost("/var/run/docker.sock", false), {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  });
  const project = runtime.project(workflow, service);
  const ref = { workflow, service };
  const revision = { number: 1, hash: "a".repeat(64) };
  const lines: string[] = [];
  const log = (_level: string, message: string) => lines.push(message);
  let port = 0;

  afterAll(() => {
    removeComposeProject(project);
    try {
      docker(["volume", "rm", `${project}_data`]);
    } catch {
      // not created
    }
  });

  const deploy = (
    releaseId: string,
    spec: ReturnType<typeof stack>,
    previousReleaseId?: string,
    signal = new AbortController().signal,
  ) =>
    deployRelease(
      runtime,
      {
        request: { ref, releaseId, revision, spec, secrets: {}, hostPolicy: DEFAULT_HOST_POLICY },
        previousReleaseId,
        autoRollback: true,
        keepReleases: 5,
        stateDir,
      },
      { log, signal, deadline: Date.now() + (spec.deadline + (spec.release?.timeout ?? 0)) * 1000 },
    );
  const serving = async () => (await fetch(`http://127.0.0.1:${port}/`)).text();
  /** Containers of the project that are not the running service (one-off release containers). */
  const oneOffs = () =>
    docker([
      "ps",
      "-aq",
      "--filter",
      `label=com.docker.compose.project=${project}`,
      "--filter",
      "label=com.docker.compose.oneoff=True",
    ]).trim();

  it("runs the command once in the new release before activating it", async () => {
    port = await freePort();
    const outcome = await deploy(
      "r1-aaaa",
      stack(port, [
        "sh",
        "-c",
        'echo "migrated $MARK" > /data/index.html; echo run >> /data/runs; echo "$@" done',
        "sh",
        "--flag",
      ]),
    );
    expect(outcome).toMatchObject({ ok: true, activeReleaseId: "r1-aaaa" });
    // The command ran in the service's container (its volume, its environment), output streamed.
    expect(await serving()).toBe("migrated from-env\n");
    expect(await (await fetch(`http://127.0.0.1:${port}/runs`)).text()).toBe("run\n");
    expect(lines).toContain("release: --flag done");
    expect(lines.some((l) => l.includes("release: sh exited 0"))).toBe(true);
    expect(oneOffs()).toBe("");
  });

  it("fails the step on a non-zero exit and leaves the previous release serving", async () => {
    const before = await runtime.currentRelease(ref);
    const outcome = await deploy(
      "r2-bbbb",
      stack(port, ["sh", "-c", "echo second > /tmp/x; echo boom-line >&2; exit 3"]),
      "r1-aaaa",
    );
    expect(outcome.ok).toBe(false);
    expect(outcome.rolledBack).toBe(false);
    expect(outcome.activeReleaseId).toBeUndefined();
    expect(outcome.message).toMatch(/release command sh of .* exited with 3; last output:/);
    expect(outcome.message).toContain("boom-line");
    expect(outcome.message).toContain("release r1-aaaa keeps running");
    expect(before).toBe("r1-aaaa");
    expect(await runtime.currentRelease(ref)).toBe("r1-aaaa");
    expect(await serving()).toBe("migrated from-env\n");
    expect(oneOffs()).toBe("");
  });

  it("stops a command that outlives its timeout, and removes its container", async () => {
    const started = Date.now();
    const outcome = await deploy("r3-cccc", stack(port, ["sleep", "600"], 3), "r1-aaaa");
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/timed out after 3s/);
    expect(Date.now() - started).toBeLessThan(120_000);
    expect(await runtime.currentRelease(ref)).toBe("r1-aaaa");
    expect(await serving()).toBe("migrated from-env\n");
    expect(oneOffs()).toBe("");
  });

  it("is cancelled by the job's abort signal, container and all", async () => {
    const cancel = new AbortController();
    const running = deploy("r4-dddd", stack(port, ["sleep", "600"]), "r1-aaaa", cancel.signal);
    // Cancel once the one-off container really runs.
    const until = Date.now() + 90_000;
    while (!oneOffs() && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    expect(oneOffs()).not.toBe("");
    // r4's one-off container is not the service: what runs and what is checked is still r1.
    expect(await runtime.currentRelease(ref)).toBe("r1-aaaa");
    expect(await runtime.containerHealth(project)).toMatchObject({ ok: true, count: 1 });
    cancel.abort();
    const outcome = await running;
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/was cancelled/);
    expect(oneOffs()).toBe("");
    expect(await runtime.currentRelease(ref)).toBe("r1-aaaa");
  });
});
