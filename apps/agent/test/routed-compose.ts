// What the zero-downtime tests share (the job runner's and the release switch's): a Compose
// runtime on the real Docker Engine, a busybox httpd service with a domain, and the real ingress
// (Debian's Caddy as a child process, `tls internal`) on random ports and its own bridge network.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { composeServiceSpecSchema } from "@capstan/templates";
import { type ComponentCheck, dockerEngine, dockerImage, executable, freePort } from "@capstan/testkit";
import { DockerHost } from "../src/docker";
import { caddyPaths } from "../src/ingress/caddy-process";
import { Ingress } from "../src/ingress/ingress";
import { childIngressProcess } from "../src/ingress/ingress-process";
import { ComposeRuntime } from "../src/runtimes/compose";
import { docker, removeComposeProject, tempDir, uniqueName } from "./helpers";

export const routedComposeComponents = (): ComponentCheck[] => [
  dockerEngine(),
  dockerImage("capstan-busybox:test"),
  executable("/usr/bin/caddy"),
];

/**
 * A Compose service of busybox httpd answering `marker` on container port 8080 (nothing
 * published), routed at `host`; `healthcheck` is the Docker healthcheck's test.
 */
export function routedHttpdSpec(host: string, marker: string, healthcheck: string[], deadline: number) {
  return composeServiceSpecSchema.parse({
    compose: {
      inline: {
        services: {
          httpd: {
            image: "capstan-busybox:test",
            command: [
              "sh",
              "-c",
              `mkdir -p /www && echo ${marker} > /www/index.html && exec httpd -f -p 8080 -h /www`,
            ],
            healthcheck: { test: healthcheck, interval: "1s", timeout: "2s", retries: 2 },
          },
        },
      },
    },
    domains: [{ host, port: 8080 }],
    deadline,
  });
}

/** The Compose runtime and the ingress of one test file, in a temp folder of its own. */
export class RoutedComposeRig {
  readonly dir: string;
  readonly workflow: string;
  readonly network: string;
  readonly dockerHost = new DockerHost("/var/run/docker.sock", false);
  readonly runtime: ComposeRuntime;
  /** The project of the service `web`'s first slot (`${base}_b` is the second). */
  readonly base: string;
  readonly ingressDir: string;
  readonly caddy: ReturnType<typeof childIngressProcess>;
  /** Where Caddy's internal CA keeps its root (it exists once Caddy issued a certificate). */
  readonly rootFile: string;
  httpsPort = 0;

  constructor(prefix: string) {
    this.dir = tempDir(prefix);
    this.workflow = uniqueName(prefix);
    this.network = uniqueName(`capstan-ingress-${prefix}`);
    this.runtime = new ComposeRuntime(join(this.dir, "compose"), this.dockerHost, {
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    });
    this.base = this.runtime.project(this.workflow, "web");
    this.ingressDir = join(this.dir, "ingress");
    const paths = caddyPaths(this.ingressDir);
    this.caddy = childIngressProcess(paths);
    this.rootFile = join(paths.storage, "pki/authorities/local/root.crt");
  }

  /** The ingress on fresh loopback ports, routing to the project of each service's active slot. */
  async ingress(): Promise<Ingress> {
    this.httpsPort = await freePort();
    return new Ingress({
      dir: this.ingressDir,
      process: this.caddy,
      listen: { httpPort: await freePort(), httpsPort: this.httpsPort, bindHost: "127.0.0.1" },
      docker: () => this.dockerHost.engine(),
      // What the agent wires: the project of the service's active slot.
      composeProject: (ref) => this.runtime.label(ref),
      network: this.network,
    });
  }

  /** The ids of a Compose project's containers, one per line ("" when none). */
  containers(project: string): string {
    return docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`]).trim();
  }

  async cleanup(): Promise<void> {
    await this.caddy.stop();
    removeComposeProject(this.base);
    removeComposeProject(`${this.base}_b`);
    try {
      docker(["network", "rm", this.network]);
    } catch {
      // not created
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
