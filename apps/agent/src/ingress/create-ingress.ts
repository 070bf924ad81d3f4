// The agent's ingress from its config: Caddy as `capstan-ingress.service` under systemd, else a
// child process; nothing starts until a service has a domain (hosts without domains never run
// Caddy, and Caddy itself is installed then when missing: caddy-install.ts). On start the stored routes are loaded again, in case Caddy lost them.
import { join } from "node:path";
import type { AgentConfig } from "../config";
import type { DockerHost } from "../docker";
import type { Logger } from "../log";
import type { ServiceRef } from "../runtimes/types";
import { caddyInstaller } from "./caddy-install";
import { caddyPaths } from "./caddy-process";
import { CertificateReporter } from "./certificate-state";
import { Ingress, type IngressDeps } from "./ingress";
import { childIngressProcess, type IngressProcess, systemdIngressProcess } from "./ingress-process";

export function createIngress(
  config: AgentConfig,
  docker: DockerHost,
  /** The Compose project that serves a service now (its active slot, runtimes/compose-slots.ts). */
  composeProject: (ref: ServiceRef) => string,
  /** The loopback port a unit serves a domain's port on now (its active slot, runtimes/unit-slots.ts). */
  unitPort?: IngressDeps["unitPort"],
): { ingress: Ingress; process: IngressProcess; certificates: CertificateReporter } {
  const paths = caddyPaths(join(config.stateDir, "ingress"));
  const inner = config.underSystemd
    ? systemdIngressProcess(paths, config.unitDir, config.ingress.caddy)
    : childIngressProcess(paths, config.ingress.caddy);
  const installer = caddyInstaller(config.ingress.caddy);
  const process: IngressProcess = {
    async ensure(signal, log) {
      await installer.ensure(signal, log);
      return inner.ensure(signal, log);
    },
    stop: () => inner.stop(),
  };
  const ingress = new Ingress({
    dir: paths.dir,
    process,
    listen: {
      httpPort: config.ingress.httpPort,
      httpsPort: config.ingress.httpsPort,
      bindHost: config.ingress.bindHost,
      acmeCaRoots: config.ingress.acmeCaRoots,
    },
    docker: () => docker.engine(),
    composeProject,
    unitPort,
  });
  return { ingress, process, certificates: new CertificateReporter(() => ingress.allNames(), paths) };
}

export async function restoreIngress(ingress: Ingress, log: Logger, signal: AbortSignal): Promise<void> {
  try {
    await ingress.restore(signal);
  } catch (error) {
    log.warn({ err: (error as Error).message }, "could not load the stored routes into the ingress");
  }
}
