// Routes follow what runs, on the real Docker Engine and a real Caddy (tls: internal, no ACME):
// a Compose container that Docker restarts with a new address on the ingress network is routed
// again by the refresh (which reloads nothing when nothing changed), and an undeploy through the
// real service action removes the service's names from Caddy.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { composeServiceSpecSchema, DEFAULT_HOST_POLICY } from "@capstan/templates";
import {
  dockerEngine,
  dockerImage,
  executable,
  freePort,
  requireComponents,
  waitFor,
} from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, removeComposeProject, tempDir, uniqueName } from "../../test/helpers";
import { ingressGet } from "../../test/ingress-get";
import { DockerHost } from "../docker";
import { ComposeRuntime } from "../runtimes/compose";
import { deployRelease } from "../runtimes/deploy-release";
import { runServiceAction } from "../service-action";
import { StateStore } from "../state";
import { caddyPaths } from "./caddy-process";
import { Ingress } from "./ingress";
import { childIngressProcess } from "./ingress-process";

const ok = requireComponents(
  "agent ingress routes follow containers",
  dockerEngine(),
  dockerImage("capstan-busybox:test"),
  executable("/usr/bin/caddy"),
);

describe.skipIf(!ok)("ingress routes follow restarts and undeploys", () => {
  const workflow = uniqueName("follow");
  const network = uniqueName("capstan-ingress-test");
  const blocker = uniqueName("ip-blocker");
  const dockerHost = new DockerHost("/var/run/docker.sock", false);
  const runtime = new ComposeRuntime(tempDir("follow-compose"), dockerHost, {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  });
  const ref = { workflow, service: "web" };
  const signal = new AbortController().signal;
  const name = "follow.capstan.test";
  let dir: string;
  let ingress: Ingress;
  let process_: ReturnType<typeof childIngressProcess>;
  let ports: { httpPort: number; httpsPort: number };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "capstan-ingress-follow-"));
    ports = { httpPort: await freePort(), httpsPort: await freePort() };
    process_ = childIngressProcess(caddyPaths(join(dir, "ingress")));
    ingress = new Ingress({
      dir: join(dir, "ingress"),
      process: process_,
      listen: { ...ports, bindHost: "127.0.0.1" },
      docker: () => dockerHost.engine(),
      composeProject: (r) => runtime.project(r.workflow, r.service),
      network,
    });
  });
  afterAll(async () => {
    await process_?.stop();
    removeComposeProject(runtime.project(workflow, "web"));
    for (const args of [
      ["rm", "-f", blocker],
      ["network", "rm", network],
    ])
      try {
        docker(args);
      } catch {
        // not created
      }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const get = () =>
    ingressGet(
      { scheme: "https", name, port: ports.httpsPort },
      readFileSync(join(caddyPaths(join(dir, "ingress")).storage, "pki/authorities/local/root.crt"), "utf8"),
    );
  const until200 = (what: string) =>
    waitFor(
      what,
      async () => {
        const res = await get().catch(() => null);
        return res?.status === 200 ? res : null;
      },
      { timeoutMs: 120_000, intervalMs: 500, context: () => process_.output().slice(-2000) },
    );
  const containerId = () =>
    docker([
      "ps",
      "-q",
      "--filter",
      `label=com.docker.compose.project=${runtime.project(workflow, "web")}`,
    ]).trim();
  const address = (id: string) =>
    docker(["inspect", "-f", `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, id]).trim();

  it("routes a restarted container at its new address, then drops the names on undeploy", async () => {
    const spec = composeServiceSpecSchema.parse({
      compose: {
        inline: {
          services: {
            httpd: {
              image: "capstan-busybox:test",
              restart: "unless-stopped",
              command: [
                "sh",
                "-c",
                "mkdir -p /www && echo follows > /www/index.html && exec httpd -f -p 8080 -h /www",
              ],
            },
          },
        },
      },
      domains: [{ host: name, port: 8080 }],
    });
    const stateDir = tempDir("follow-state");
    const outcome = await deployRelease(
      runtime,
      {
        request: {
          ref,
          releaseId: "r1-follow",
          revision: { number: 1, hash: "c".repeat(64) },
          spec,
          secrets: {},
          hostPolicy: DEFAULT_HOST_POLICY,
        },
        autoRollback: true,
        keepReleases: 3,
        stateDir,
      },
      { log: () => {}, signal, deadline: Date.now() + 120_000 },
    );
    expect(outcome.ok).toBe(true);
    await ingress.routeService(ref, "compose", spec, { issuer: "internal" }, signal);
    expect((await until200("a 200 over HTTPS from the container")).body).toBe("follows\n");
    expect(await ingress.refreshUpstreams(signal)).toEqual([]);

    // Docker restarts the container while another one took its old address on the network.
    const id = containerId();
    const before = address(id);
    docker(["stop", "-t", "1", id]);
    docker(["run", "-d", "--name", blocker, "--network", network, "capstan-busybox:test", "sleep", "3600"]);
    docker(["start", id]);
    const after = address(id);
    expect(after).not.toBe(before);
    // Still routed to the old address (now the blocker's, which serves nothing): a 502.
    expect((await get()).status).toBe(502);

    expect(await ingress.refreshUpstreams(signal)).toEqual([`${workflow}/web`]);
    expect((await until200("a 200 at the new address")).body).toBe("follows\n");
    expect(readFileSync(join(dir, "ingress", "routes.json"), "utf8")).toContain(`${after}:8080`);

    // Undeploy through the real service action: the name leaves Caddy.
    const state = new StateStore(join(stateDir, "agent"));
    state.init();
    state.saveService({
      workflow,
      service: "web",
      kind: "compose",
      revisionHash: "c".repeat(64),
      releaseId: "r1-follow",
      healthChecks: [],
      updatedAt: new Date().toISOString(),
    });
    const undeployed = await runServiceAction(
      runtime,
      state,
      { workflow, service: "web", action: "undeploy" },
      signal,
      Date.now() + 120_000,
      () => {},
      ingress,
    );
    expect(undeployed.ok).toBe(true);
    expect(ingress.routedNames()).toEqual({});
    const running = JSON.stringify(await (await process_.ensure(signal)).config());
    expect(running).not.toContain(name);
    await expect(get()).rejects.toThrow();
  }, 400_000);
});
