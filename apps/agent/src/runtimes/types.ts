// The Runtime seam: how one service kind (compose, systemd, nix) is staged, activated, probed,
// stopped and rolled back on this host. The job runner, heartbeats and reconcile look a runtime up
// by kind and never branch on it; the shared "activate, wait healthy, roll back" template
// (runtimes/deploy-release.ts) drives every runtime the same way.
import type { JobRegistry, LogLine, LogStreamOptions, OneOffCommand, ServiceStats } from "@capstan/protocol";
import type { HealthCheck, HostPolicy, ServiceKind, ServiceSpec } from "@capstan/templates";
import type { RegistrySession } from "./registry-login";
import type { StreamedCommand } from "./release-command";

export type DeployLog = (level: "info" | "warn" | "error", message: string) => void;

/** Health as heartbeats report it; decided by the runtime, never parsed back out of text. */
export type HealthStatus = "HEALTHY" | "STARTING" | "UNHEALTHY" | "STOPPED" | "UNKNOWN";

export interface Probe {
  status: HealthStatus;
  /** One line for people: what is wrong, or what passed. */
  detail: string;
}

export interface ServiceRef {
  workflow: string;
  service: string;
}

/** One service of a job: everything a runtime needs to stage its release. */
export interface StageRequest {
  ref: ServiceRef;
  releaseId: string;
  revision: { number: number; hash: string };
  /** The kind's own spec; a runtime refuses a spec of another kind. */
  spec: ServiceSpec;
  /** Decrypted values of the secrets this service names. */
  secrets: Record<string, string>;
  /** The effective host policy the runtime must enforce again before writing anything. */
  hostPolicy: HostPolicy;
  /** The revision's project files (runtimes/bundles.ts), fetched and verified by sha256. */
  bundle?: { sha256: string; size: number };
}

export interface StepContext {
  log: DeployLog;
  signal: AbortSignal;
  /** Epoch ms by which the step must be over (staging, builds and the health gate count). */
  deadline: number;
  /** This deploy's DOCKER_CONFIG with registry logins (registry-login.ts), for pulls and builds. */
  dockerConfig?: string;
}

/**
 * A release started beside the one that runs (a zero-downtime switch, switch-release.ts): it is
 * health-checked on its own, and only becomes the service's release once it is promoted.
 */
export interface BesideRelease {
  /** The name people know the new copy by (a Compose project, a unit). */
  readonly label: string;
  probe(checks: readonly HealthCheck[], signal?: AbortSignal): Promise<Probe>;
  recentLogs(lines: number, signal?: AbortSignal): Promise<string[]>;
  /** Makes the new copy the service's own: what probes, heartbeats and routes see from now on. */
  promote(ctx: StepContext): Promise<void>;
  /** Undoes promote (the route could not switch): the old copy is the service's again. */
  demote(ctx: StepContext): void | Promise<void>;
  /** Stops and removes the new copy (its health gate failed, or the switch did). */
  abandon(): Promise<void>;
  /** Stops and removes the copy that served before, once requests moved to the new one. */
  retireOld(ctx: StepContext): Promise<void>;
}

export interface Runtime {
  readonly kind: ServiceKind;
  /** Whether services of this kind need the Docker Engine (heartbeats then report its state). */
  readonly usesDocker?: boolean;
  /** The name people know the service by on this host (unit, project); for the deploy log. */
  label?(ref: ServiceRef): string;
  /**
   * Every name the service's containers may carry on this host when it is more than `label`
   * (both Compose slots: the idle one runs during a switch), so none is taken for unmanaged.
   */
  names?(ref: ServiceRef): string[];
  /**
   * Everything that can be done or refused before what runs changes: render files, fetch and
   * verify artifacts, build. Throws with a message for the deploy log on refusal or failure.
   */
  stage(request: StageRequest, ctx: StepContext): Promise<void>;
  /**
   * Runs the spec's `release.command` once in the staged, not yet active release (migrations);
   * throws with the exit code and the last output lines. What runs now is left alone.
   */
  runRelease?(request: StageRequest, ctx: StepContext): Promise<void>;
  /** Logs in to the job's private registries for one deploy (kinds that pull images). */
  loginToRegistries?(registries: readonly JobRegistry[], ctx: StepContext): Promise<RegistrySession>;
  /**
   * Makes a staged (or earlier) release the one that runs. `checks` are its health checks: a
   * runtime that watches a new start for a while (units: a kill by their hardening) may stop
   * watching once they pass.
   */
  activate(
    ref: ServiceRef,
    releaseId: string,
    ctx: StepContext,
    checks?: readonly HealthCheck[],
  ): Promise<void>;
  /**
   * Why `releaseId` cannot run beside the release that runs now (published host ports...), or
   * null when it can. Absent: the kind always restarts in place.
   */
  besideBlocker?(ref: ServiceRef, releaseId: string): Promise<string | null>;
  /**
   * The loopback port the service listens on now for a domain's `port` (a unit's active slot
   * may listen on another, unit-slots.ts); what the ingress dials. Absent: `port` itself.
   */
  servingPort?(ref: ServiceRef, port: number): number;
  /** Starts a staged release beside the running one, in a copy of its own (`checks`: as activate). */
  startBeside?(
    ref: ServiceRef,
    releaseId: string,
    ctx: StepContext,
    checks?: readonly HealthCheck[],
  ): Promise<BesideRelease>;
  /** Health now, for the deploy gate and for heartbeats. */
  probe(ref: ServiceRef, checks: readonly HealthCheck[], signal?: AbortSignal): Promise<Probe>;
  /** Resource use, image or release, and ports for heartbeats (runtimes/*-stats.ts). */
  stats?(ref: ServiceRef, checks: readonly HealthCheck[], signal?: AbortSignal): Promise<ServiceStats>;
  /**
   * The service's last output lines (container logs, unit journal), unmasked: the caller masks
   * secret values before they reach any log.
   */
  recentLogs?(ref: ServiceRef, lines: number, signal?: AbortSignal): Promise<string[]>;
  /**
   * Live logs (log-streams/): follows the service's output into `sink` until it ends (resolves
   * with why) or `signal` aborts. Lines are unmasked; the control plane masks them.
   */
  followLogs?(
    ref: ServiceRef,
    options: LogStreamOptions,
    sink: (line: LogLine) => void,
    signal: AbortSignal,
  ): Promise<string>;
  /** The release that actually runs (after a crash mid-deploy), or null when nothing runs. */
  currentRelease(ref: ServiceRef, signal?: AbortSignal): Promise<string | null>;
  /** Whether a release is still on this host to switch back to. */
  hasRelease(ref: ServiceRef, releaseId: string): Promise<boolean>;
  stop(ref: ServiceRef, signal?: AbortSignal): Promise<void>;
  start(ref: ServiceRef, signal?: AbortSignal): Promise<void>;
  restart(ref: ServiceRef, signal?: AbortSignal): Promise<void>;
  /**
   * Makes the running service re-read its configuration (`systemctl reload` of a unit with
   * ExecReload=); throws, saying why, where the service defines none. Absent: kind has no reload.
   */
  reload?(ref: ServiceRef, signal?: AbortSignal): Promise<void>;
  /**
   * A one-off command in the service's context (a new container of its image, env and networks;
   * a transient unit with its user, hardening and environment), output streamed into `ctx.log`.
   */
  runCommand?(ref: ServiceRef, command: OneOffCommand, ctx: StepContext): Promise<StreamedCommand>;
  /**
   * Stops the service and removes what Capstan wrote for it (units, project folders, releases).
   * `data`: "keep" leaves named volumes, data folders and state directories (an undeploy),
   * "delete" removes them too; without it, named volumes stay and the rest goes (a failed first release).
   */
  remove(ref: ServiceRef, signal?: AbortSignal, options?: { data?: "keep" | "delete" }): Promise<void>;
  /**
   * Keeps the newest `keep` releases plus the protected ones; never the running one. `discard`
   * names releases removed whatever their age (a failed one after its rollback), with what only
   * they used (files, built images).
   */
  prune(
    ref: ServiceRef,
    keep: number,
    protect: readonly (string | undefined)[],
    discard?: readonly string[],
  ): Promise<void>;
}

export type Runtimes = Readonly<Record<ServiceKind, Runtime>>;
