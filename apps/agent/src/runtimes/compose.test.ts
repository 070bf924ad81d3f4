// Compose runtime against the real Docker Engine and docker-compose: a healthy stack passes the
// health gate; a stack whose healthcheck fails fails by its deadline and the previous release
// runs again.

import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { composeServiceSpecSchema, DEFAULT_HOST_POLICY } from "@capstan/templates";
import { dockerEngine, dockerImage, requireComponents } from "@capstan/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { docker, freePort, removeComposeProject, tempDir, uniqueName } from "../../test/helpers";
import { DockerHost } from "../docker";
import { ComposeRuntime } from "./compose";
import { deployRelease } from "./deploy-release";

const ok = requireComponents("compose runtime", dockerEngine(), dockerImage("capstan-busybox:test"));

function stack(port: number, healthy: boolean, marker: string) {
  return composeServiceSpecSchema.parse({
    compose: {
      inline: {
        services: {
          web: {
            image: "capstan-busybox:test",
            command: [
              "sh",
              "-c",
              `mkdir -p /www && echo ${marker} > /www/index.html && exec httpd -f -p 8080 -h /www`,
            ],
            ports: ["127.0.0.1:${PORT}:8080"],
            healthcheck: {
              test: healthy
                ? ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
                : ["CMD", "sh", "-c", "exit 1"],
              interval: "1s",
              timeout: "2s",
              retries: 2,
            },
          },
        },
      },
    },
    env: { PORT: String(port) },
    healthChecks: [{ http: { url: `http://127.0.0.1:${port}/` } }],
    deadline: healthy ? 60 : 8,
  });
}

describe.skipIf(!ok)("compose runtime (real Docker)", () => {
  const workflow = uniqueName("cmp");
  const service = "web";
  const runtime = new ComposeRuntime(tempDir("compose"), new DockerHost("/var/run/docker.sock", false), {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  });
  const project = runtime.project(workflow, service);
  const ref = { workflow, service };
  const revision = { number: 1, hash: "a".repeat(64) };
  const signal = new AbortController().signal;
  const lines: string[] = [];
  const log = (_level: string, message: string) => lines.push(message);

  afterAll(() => removeComposeProject(project));

  it("deploys a stack with a healthcheck, gates on health, then rolls back a failing release", async () => {
    const port = await freePort();
    const first = stack(port, true, "release-one");
    const outcome = await deployRelease(
      runtime,
      {
        request: {
          ref,
          releaseId: "r1-aaaa",
          revision,
          spec: first,
          secrets: {},
          hostPolicy: DEFAULT_HOST_POLICY,
        },
        autoRollback: true,
        keepReleases: 3,
        stateDir: tempDir("compose-state"),
      },
      { log, signal, deadline: Date.now() + 60_000 },
    );
    expect(outcome).toMatchObject({ ok: true, activeReleaseId: "r1-aaaa" });
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("release-one\n");
    const health = await runtime.containerHealth(project);
    expect(health).toMatchObject({ ok: true, count: 1 });
    expect(await runtime.currentRelease(ref)).toBe("r1-aaaa");
    expect(statSync(join(runtime.releaseDir(workflow, service, "r1-aaaa"), ".env")).mode & 0o777).toBe(0o600);

    const bad = stack(port, false, "release-two");
    const started = Date.now();
    const failed = await deployRelease(
      runtime,
      {
        request: {
          ref,
          releaseId: "r2-bbbb",
          revision,
          spec: bad,
          secrets: {},
          hostPolicy: DEFAULT_HOST_POLICY,
        },
        autoRollback: true,
        previousReleaseId: "r1-aaaa",
        keepReleases: 3,
        stateDir: tempDir("compose-state"),
      },
      { log, signal, deadline: Date.now() + bad.deadline * 1000 },
    );
    expect(failed.ok).toBe(false);
    expect(failed.rolledBack).toBe(true);
    expect(failed.activeReleaseId).toBe("r1-aaaa");
    expect(failed.message).toMatch(/deadline passed: .*unhealthy|starting/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(8000);
    // The previous release serves again, and is what the containers were created from.
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("release-one\n");
    expect(await runtime.currentRelease(ref)).toBe("r1-aaaa");
    expect((await runtime.containerHealth(project)).ok).toBe(true);
    expect(lines.some((l) => l.includes("rolling back"))).toBe(true);

    await runtime.remove(ref);
    expect((await runtime.containerHealth(project)).count).toBe(0);
  });

  it("removes the project and its folder when a first release fails its health gate", async () => {
    const target = { workflow: uniqueName("cmpfirst"), service: "web" };
    const firstProject = runtime.project(target.workflow, target.service);
    const spec = stack(await freePort(), false, "never-healthy");
    try {
      const outcome = await deployRelease(
        runtime,
        {
          request: {
            ref: target,
            releaseId: "r1-first",
            revision,
            spec,
            secrets: {},
            hostPolicy: DEFAULT_HOST_POLICY,
          },
          firstRelease: true,
          autoRollback: true,
          keepReleases: 3,
          stateDir: tempDir("compose-state"),
        },
        { log, signal, deadline: Date.now() + spec.deadline * 1000 },
      );
      expect(outcome).toMatchObject({ ok: false, rolledBack: false });
      expect(outcome.activeReleaseId).toBeUndefined();
      // Neither containers nor the release folder (nor the service folder above it) are left.
      expect((await runtime.containerHealth(firstProject)).count).toBe(0);
      expect(
        docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${firstProject}`]).trim(),
      ).toBe("");
      expect(
        existsSync(join(runtime.releaseDir(target.workflow, target.service, "r1-first"), "..", "..")),
      ).toBe(false);
      expect(await runtime.currentRelease(target)).toBeNull();
    } finally {
      removeComposeProject(firstProject);
    }
  });

  it("runs a command health check inside the service's container, never on the host as the agent", async () => {
    // The attack: a health-check command that writes a marker into the agent's state dir. On the
    // host (as the agent) it would succeed; in the container it writes the container's own disk.
    const stateDir = tempDir("compose-attack");
    const attacked = new ComposeRuntime(stateDir, new DockerHost("/var/run/docker.sock", false), {
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    });
    const target = { workflow: uniqueName("cmdchk"), service: "web" };
    const marker = join(stateDir, "pwned-by-health-check");
    const spec = composeServiceSpecSchema.parse({
      compose: {
        inline: { services: { web: { image: "capstan-busybox:test", command: ["sleep", "3600"] } } },
      },
      healthChecks: [{ command: ["/bin/sh", "-c", `mkdir -p ${stateDir} && touch ${marker}`] }],
      deadline: 60,
    });
    try {
      const outcome = await deployRelease(
        attacked,
        {
          request: {
            ref: target,
            releaseId: "r1-cmd",
            revision,
            spec,
            secrets: {},
            hostPolicy: DEFAULT_HOST_POLICY,
          },
          autoRollback: false,
          keepReleases: 3,
          stateDir: tempDir("compose-state"),
        },
        { log, signal, deadline: Date.now() + 60_000 },
      );
      expect(outcome.ok, outcome.message).toBe(true);
      expect(existsSync(marker)).toBe(false);
      const project = attacked.project(target.workflow, target.service);
      const id = docker(["ps", "-q", "--filter", `label=com.docker.compose.project=${project}`]).trim();
      expect(docker(["exec", id, "ls", marker]).trim()).toBe(marker);
    } finally {
      removeComposeProject(attacked.project(target.workflow, target.service));
    }
  });
});
