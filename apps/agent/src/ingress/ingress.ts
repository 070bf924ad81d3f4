// The host's ingress as the job runner sees it: after a service deploys healthy its domains are
// routed (and a service without domains loses its routes); removing a service removes them. The
// routes of every service are kept in <state>/ingress/routes.json (mode 0600: it holds EAB keys
// and uploaded certificate keys)
// and the whole Caddy config is rebuilt from them and loaded at once, so Caddy never holds a
// route the agent does not know about. A name another workflow already routes here is refused.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Domain,
  domainNames,
  isComposeService,
  type ServiceKind,
  type ServiceSpec,
  type Tls,
} from "@capstan/templates";
import type Dockerode from "dockerode";
import type { ServiceRef } from "../runtimes/types";
import { writeFileAtomic } from "../state";
import {
  buildCaddyConfig,
  type CaddyConfigOptions,
  type IngressRoute,
  type WorkflowTls,
} from "./caddy-config";
import type { InstallLog } from "./caddy-install";
import { caddyPaths } from "./caddy-process";
import { composeUpstreams } from "./compose-upstreams";
import type { IngressProcess } from "./ingress-process";

export type JobTls = Tls & { eabMacKey?: string; certificatePem?: string; keyPem?: string };

export interface RoutedName {
  name: string;
  workflow: string;
  service: string;
}

interface StoredRoutes {
  /** By `<workflow>/<service>`. */
  services: Record<string, IngressRoute[]>;
  tls: Record<string, WorkflowTls>;
}

export interface IngressDeps {
  dir: string;
  process: IngressProcess;
  listen: Pick<CaddyConfigOptions, "httpPort" | "httpsPort" | "bindHost" | "acmeCaRoots">;
  /** For Compose services: the Engine and the project name of a service. */
  docker?: () => Promise<Dockerode>;
  composeProject?: (ref: ServiceRef) => string;
  /**
   * For systemd and Nix services: the loopback port a unit listens on now for a domain's port
   * (its active slot's, runtimes/unit-slots.ts); the domain's port itself when absent.
   */
  unitPort?: (ref: ServiceRef, kind: ServiceKind, port: number) => number;
  /** The bridge network Compose containers join (tests use their own). */
  network?: string;
}

/** Compose routes dial container addresses; units dial loopback. */
const isComposeRoute = (route: IngressRoute) => !route.upstreams.every((u) => u.startsWith("127.0.0.1:"));

export class Ingress {
  /** Every change is read-modify-write of routes.json: one at a time (deploys vs the refresh loop). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: IngressDeps) {}

  private serial<T>(change: () => Promise<T>): Promise<T> {
    const next = this.queue.then(change, change);
    this.queue = next.catch(() => {});
    return next;
  }

  private get file(): string {
    return join(this.deps.dir, "routes.json");
  }

  private read(): StoredRoutes {
    if (!existsSync(this.file)) return { services: {}, tls: {} };
    return JSON.parse(readFileSync(this.file, "utf8")) as StoredRoutes;
  }

  /** Every name routed on this host with its workflow and service, by name. */
  allNames(): RoutedName[] {
    const out = new Map<string, RoutedName>();
    for (const [key, names] of Object.entries(this.routedNames())) {
      const [workflow = "", service = ""] = key.split("/");
      for (const name of names) if (!out.has(name)) out.set(name, { name, workflow, service });
    }
    return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Names routed on this host by each workflow/service. */
  routedNames(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [key, routes] of Object.entries(this.read().services))
      out[key] = routes.flatMap((r) => domainNames(r.domain));
    return out;
  }

  /**
   * Routes the service's domains to what now runs (or drops its routes when it has none).
   * Returns the names routed, for the deploy log.
   */
  async routeService(
    ref: ServiceRef,
    kind: ServiceKind,
    spec: ServiceSpec,
    tls: JobTls | undefined,
    signal: AbortSignal,
    /** The deploy log: installing Caddy on first use shows there. */
    log?: InstallLog,
  ): Promise<string[]> {
    return this.serial(() => this.route(ref, kind, spec, tls, signal, log));
  }

  private async route(
    ref: ServiceRef,
    kind: ServiceKind,
    spec: ServiceSpec,
    tls: JobTls | undefined,
    signal: AbortSignal,
    log?: InstallLog,
  ): Promise<string[]> {
    const stored = this.read();
    const key = `${ref.workflow}/${ref.service}`;
    const domains = spec.domains ?? [];
    if (domains.length === 0 && !stored.services[key]) return [];
    for (const domain of domains)
      for (const name of domainNames(domain))
        for (const [other, routes] of Object.entries(stored.services)) {
          if (other.startsWith(`${ref.workflow}/`)) continue;
          if (routes.some((r) => domainNames(r.domain).includes(name)))
            throw new Error(`${name} is already routed on this host by ${other}; remove it there first`);
        }
    const compose = kind === "compose" && isComposeService(spec);
    const routes: IngressRoute[] = [];
    for (const domain of domains)
      routes.push({ ...ref, domain, upstreams: await this.upstreams(ref, compose, domain, kind) });
    if (routes.length > 0) stored.services[key] = routes;
    else delete stored.services[key];
    const { eabMacKey, certificatePem, keyPem, ...rest } = tls ?? { issuer: "acme" as const };
    stored.tls[ref.workflow] = {
      tls: rest,
      ...(eabMacKey ? { eabMacKey } : {}),
      ...(certificatePem && keyPem ? { certificatePem, keyPem } : {}),
    };
    await this.apply(stored, signal, log);
    return routes.flatMap((r) => domainNames(r.domain));
  }

  /**
   * After a rollback: the service's routes stay, pointed at what runs now (a Compose release
   * brought back runs in new containers, with new addresses).
   */
  refreshService(ref: ServiceRef, kind: ServiceKind, signal: AbortSignal): Promise<void> {
    return this.serial(async () => {
      const stored = this.read();
      const key = `${ref.workflow}/${ref.service}`;
      const routes = stored.services[key];
      if (!routes || kind !== "compose") return;
      for (const route of routes) route.upstreams = await this.upstreams(ref, true, route.domain);
      await this.apply(stored, signal);
    });
  }

  unrouteService(ref: ServiceRef, signal: AbortSignal): Promise<void> {
    return this.serial(async () => {
      const stored = this.read();
      const key = `${ref.workflow}/${ref.service}`;
      if (!stored.services[key]) return;
      delete stored.services[key];
      await this.apply(stored, signal);
    });
  }

  /**
   * Docker gives a restarted container a new address on the ingress network: the Compose routes'
   * upstreams are computed again and Caddy reloaded only when they differ (cheap enough for
   * every heartbeat). A service with no running container keeps its routes (it may be restarting).
   * Returns the `<workflow>/<service>` keys whose routes changed.
   */
  refreshUpstreams(signal: AbortSignal): Promise<string[]> {
    return this.serial(async () => {
      const stored = this.read();
      const changed = new Set<string>();
      for (const [key, routes] of Object.entries(stored.services))
        for (const route of routes) {
          if (!isComposeRoute(route)) continue;
          const now = await this.upstreams(route, true, route.domain).catch(() => route.upstreams);
          if (now.join() === [...route.upstreams].sort().join()) continue;
          route.upstreams = now;
          changed.add(key);
        }
      if (changed.size > 0) await this.apply(stored, signal);
      return [...changed];
    });
  }

  /** Loads the stored routes into Caddy (agent start: Caddy may have been restarted without them). */
  restore(signal: AbortSignal): Promise<void> {
    return this.serial(async () => {
      const stored = this.read();
      if (Object.keys(stored.services).length > 0) await this.apply(stored, signal);
    });
  }

  private async upstreams(
    ref: ServiceRef,
    compose: boolean,
    domain: Domain,
    kind?: ServiceKind,
  ): Promise<string[]> {
    if (!compose)
      return [`127.0.0.1:${(kind && this.deps.unitPort?.(ref, kind, domain.port)) ?? domain.port}`];
    const { docker, composeProject } = this.deps;
    if (!docker || !composeProject) throw new Error("this agent cannot route Compose services (no Docker)");
    return composeUpstreams(await docker(), {
      project: composeProject(ref),
      composeService: domain.service,
      port: domain.port,
      network: this.deps.network,
    });
  }

  private async apply(stored: StoredRoutes, signal: AbortSignal, log?: InstallLog): Promise<void> {
    const { dir, listen } = this.deps;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const inUse = new Set(Object.values(stored.services).flatMap((routes) => routes.map((r) => r.workflow)));
    for (const workflow of Object.keys(stored.tls)) if (!inUse.has(workflow)) delete stored.tls[workflow];
    // Built (and checked) before anything is written: a refused route leaves the old state.
    const paths = caddyPaths(dir);
    const config = buildCaddyConfig(Object.values(stored.services).flat(), stored.tls, {
      ...listen,
      adminSocket: paths.socket,
      storageDir: paths.storage,
      tlsLogFile: paths.tlsLog,
    });
    const admin = await this.deps.process.ensure(signal, log);
    await admin.load(config);
    writeFileAtomic(this.file, `${JSON.stringify(stored, null, 2)}\n`, 0o600);
  }
}
