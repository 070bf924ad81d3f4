// Nix runtime: `nix build <flake>#<attribute>` into an out-link per release (the release's GC
// root), then a hardened systemd unit whose ExecStart= is inside that store path, with an
// EnvironmentFile (0600) per release. Activating a release installs its saved unit, so rollback
// is the previous release's unit and store path: nothing is rebuilt. Pruning a release deletes
// its out-link, which lets Nix's garbage collector take the store path.
//
// Layout: <root>/<workflow>/<service>/{current, releases/<id>/{result, env, unit.service}}.
import { constants, existsSync, readFileSync } from "node:fs";
import { access, mkdir, readFile, realpath, rm } from "node:fs/promises";
import { join } from "node:path";
import type { LogStreamOptions, OneOffCommand } from "@capstan/protocol";
import {
  flakeRefSchema,
  type HealthCheck,
  isNixService,
  NIX_ATTRIBUTE_PATTERN,
  serviceKind,
  serviceUnitName,
} from "@capstan/templates";
import { nixUnitSpec, renderNixService } from "@capstan/templates/systemd/render-nix-unit";
import { runChecked, runStreaming, tail } from "../exec";
import { runHealthChecks } from "../health";
import { enforceSystemdPolicy } from "../host-policy";
import type { LineSink } from "../log-streams/follow-container-logs";
import { followJournal } from "../log-streams/follow-journal";
import { assertName } from "../names";
import { writeFileAtomic } from "../state";
import { pruneReleases, readCurrent, switchCurrent } from "./artifacts";
import { dropUnsupportedDirectives } from "./hardening";
import { runInUnit } from "./one-off-command";
import type { StreamedCommand } from "./release-command";
import type {
  BesideRelease,
  HealthStatus,
  Probe,
  Runtime,
  ServiceRef,
  StageRequest,
  StepContext,
} from "./types";
import {
  activeChecks,
  inPlaceUnitText,
  startUnitBeside,
  type UnitSlotHost,
  unitBesideBlocker,
} from "./unit-beside";
import {
  reloadUnit,
  removeUnit,
  runInUnitSandbox,
  sandboxProperties,
  settledUnitState,
  unitJournal,
} from "./unit-control";
import { runUnitRelease } from "./unit-release";
import { activePort, activeUnit, type PortSettings, portSettings, slotUnitName } from "./unit-slots";
import { UnitStats, unitServiceStats } from "./unit-stats";

/** What `nix build --json` may hand back as an output path. */
const STORE_PATH = /^\/nix\/store\/[0-9a-z]{32}-[A-Za-z0-9+._?=-]{1,211}$/;
/** Nix 2.8 (Debian 12) has flakes behind this flag and no --print-out-paths (hence --json). */
const NIX_FLAGS = ["--extra-experimental-features", "nix-command flakes"];

/** `systemctl is-active` answers; `active` (and `reloading`) still need the declared checks. */
const UNIT_STATES: Record<string, HealthStatus> = {
  activating: "STARTING",
  deactivating: "STOPPED",
  inactive: "STOPPED",
  failed: "STOPPED",
};

export interface NixRuntimeOptions {
  /** Environment for `nix build` (the agent's, without CAPSTAN_*); undefined inherits. */
  env?: NodeJS.ProcessEnv;
  /** The nix program; PATH lookup by default. */
  nix?: string;
}

export class NixRuntime implements Runtime, UnitSlotHost {
  readonly kind = "nix" as const;
  private readonly unitStats = new UnitStats();

  constructor(
    private readonly root: string,
    readonly unitDir: string,
    private readonly options: NixRuntimeOptions = {},
  ) {}

  /** capstan-<workflow>-<service>.service: slot "a" (unit-slots.ts). */
  baseUnit(ref: ServiceRef): string {
    return serviceUnitName(
      assertName(ref.workflow, "workflow name"),
      assertName(ref.service, "service name"),
    );
  }

  /** The unit that serves now: the service's active slot. */
  label(ref: ServiceRef): string {
    return activeUnit(this.baseUnit(ref), this.serviceDir(ref));
  }

  slotDir(ref: ServiceRef): string {
    return this.serviceDir(ref);
  }

  private serviceDir(ref: ServiceRef): string {
    return join(
      this.root,
      assertName(ref.workflow, "workflow name"),
      assertName(ref.service, "service name"),
    );
  }

  private releaseDir(ref: ServiceRef, releaseId: string): string {
    return join(this.serviceDir(ref), "releases", assertName(releaseId, "release id"));
  }

  async stage(request: StageRequest, ctx: StepContext): Promise<void> {
    const { ref, releaseId, spec } = request;
    if (!isNixService(spec)) throw new Error(`the nix runtime cannot stage a ${serviceKind(spec)} service`);
    // Checked again here (the control plane validated them): they become one argv element of nix.
    const flake = flakeRefSchema.safeParse(spec.nix.flake);
    if (!flake.success) throw new Error(`nix.flake is refused: ${flake.error.issues[0]?.message}`);
    if (!NIX_ATTRIBUTE_PATTERN.test(spec.nix.attribute))
      throw new Error(`nix.attribute is refused: must match ${NIX_ATTRIBUTE_PATTERN.source}`);
    if (!request.hostPolicy.allowNixBuilds)
      throw new Error(
        `refused by this host's policy: ${ref.workflow}/${ref.service} is a nix service, and nix builds run the flake's builders on this host (allowNixBuilds is off; turn it on in the host's policy, and in /etc/capstan/policy.json, for hosts whose Nix you trust)`,
      );
    // The unit it becomes must keep to the systemd rules like any other unit.
    enforceSystemdPolicy({
      ...ref,
      spec: nixUnitSpec(spec, "/nix/store").systemd,
      policy: request.hostPolicy,
    });
    const installable = `${spec.nix.flake}#${spec.nix.attribute}`;
    const ports = portSettings(spec);
    // Renders the EnvironmentFile first: a missing secret refuses the deploy before any build.
    const rendered = renderNixService({ ...ref, spec, secrets: request.secrets });

    const dir = this.releaseDir(ref, releaseId);
    const fresh = !(await exists(dir));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    try {
      const outLink = join(dir, "result");
      ctx.log("info", `nix: building ${installable}`);
      const stdout = await this.build(
        [...NIX_FLAGS, "build", "--json", "--print-build-logs", "--out-link", outLink, "--", installable],
        ctx,
      );
      const storePath = await this.builtPath(stdout, outLink);
      const program = spec.nix.exec[0]!;
      if (!(await exists(join(storePath, program), constants.X_OK)))
        throw new Error(`exec[0] \`${program}\` is not an executable file in the built package ${storePath}`);

      const paths = {
        packageRoot: storePath,
        serviceDir: this.serviceDir(ref),
        environmentFile: join(dir, "env"),
        note: `revision ${request.revision.number}, ${installable}`,
      };
      const { dropped } = await dropUnsupportedDirectives(rendered.unit(paths), ctx.signal);
      for (const directive of dropped)
        ctx.log(
          "warn",
          `nix: ${directive}= cannot be applied on this host (probe failed); dropped from the unit`,
        );
      // A packaged program may probe syscalls outside @system-service (Node does): with
      // EPERM the call fails instead of the kernel killing the process, and the filter stays.
      const unit = rendered
        .unit({ ...paths, omitDirectives: dropped })
        .replace(/^(SystemCallFilter=.*)$/m, "$1\nSystemCallErrorNumber=EPERM");
      writeFileAtomic(paths.environmentFile, rendered.environment, 0o600);
      if (ports) writeFileAtomic(join(dir, "ports.json"), JSON.stringify(ports), 0o600);
      else await rm(join(dir, "ports.json"), { force: true });
      // Written last: a release with a saved unit is complete (hasRelease).
      writeFileAtomic(join(dir, "unit.service"), unit, 0o600);
      ctx.log("info", `nix: release ${releaseId} staged: ${storePath}`);
    } catch (error) {
      if (fresh) await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Runs nix, streaming its progress and build log lines into the deploy log. */
  private build(args: string[], ctx: StepContext): Promise<string> {
    return runStreaming(this.options.nix ?? "nix", args, {
      env: this.options.env,
      signal: ctx.signal,
      deadline: ctx.deadline,
      log: ctx.log,
      prefix: "nix",
      label: "nix build",
    });
  }

  /** The store path nix reported, confirmed by the out-link it made (the GC root). */
  private async builtPath(stdout: string, outLink: string): Promise<string> {
    let reported: unknown;
    try {
      const parsed = JSON.parse(stdout) as { outputs?: Record<string, unknown> }[];
      reported = parsed[0]?.outputs?.out ?? Object.values(parsed[0]?.outputs ?? {})[0];
    } catch {
      throw new Error(`nix build printed no JSON result: ${tail(stdout)}`);
    }
    if (typeof reported !== "string" || !STORE_PATH.test(reported))
      throw new Error("nix build reported no output path in /nix/store");
    const linked = await realpath(outLink).catch(() => null);
    if (linked !== reported) throw new Error(`the out-link ${outLink} does not point at ${reported}`);
    return reported;
  }

  async activate(ref: ServiceRef, releaseId: string, ctx: StepContext): Promise<void> {
    const unit = this.label(ref);
    const dir = this.releaseDir(ref, releaseId);
    const text = await readFile(join(dir, "unit.service"), "utf8").catch(() => {
      throw new Error(`release ${releaseId} of ${unit} is not on this host`);
    });
    const storePath = await this.storePath(ref, releaseId);
    if (!storePath)
      throw new Error(
        `the built package of release ${releaseId} is gone (no out-link); deploy it again to rebuild`,
      );
    writeFileAtomic(join(this.unitDir, unit), await inPlaceUnitText(this, ref, releaseId, text), 0o644);
    await switchCurrent(this.serviceDir(ref), releaseId);
    for (const args of [["daemon-reload"], ["enable", unit], ["restart", unit]])
      await runChecked("systemctl", args, { signal: ctx.signal, timeoutMs: 120_000 });
    ctx.log("info", `nix: ${unit} restarted with release ${releaseId} (${storePath})`);
  }

  /** The release command, in a transient unit made from the new release's unit. */
  async runRelease(request: StageRequest, ctx: StepContext): Promise<void> {
    const { ref, releaseId, spec } = request;
    if (!isNixService(spec) || !spec.release) return;
    const unitText = await readFile(join(this.releaseDir(ref, releaseId), "unit.service"), "utf8");
    const storePath = await this.storePath(ref, releaseId);
    if (!storePath) throw new Error(`the built package of release ${releaseId} is gone`);
    const [program, ...args] = spec.release.command;
    // Relative programs are in the built package, like exec[0].
    const path = program!.startsWith("/") ? program! : join(storePath, program!);
    const sandbox = sandboxProperties(unitText);
    await runUnitRelease(
      { unit: this.label(ref), release: spec.release, unitText, sandbox, argv: [path, ...args] },
      ctx,
    );
  }

  /** The store path a release's out-link holds, or null when it is gone. */
  async storePath(ref: ServiceRef, releaseId: string): Promise<string | null> {
    const path = await realpath(join(this.releaseDir(ref, releaseId), "result")).catch(() => null);
    return path && STORE_PATH.test(path) ? path : null;
  }

  async probe(ref: ServiceRef, checks: readonly HealthCheck[], signal?: AbortSignal): Promise<Probe> {
    const unit = this.label(ref);
    let state: string;
    try {
      state = await settledUnitState(unit, signal);
    } catch (error) {
      return { status: "UNKNOWN", detail: `systemctl is-active ${unit}: ${(error as Error).message}` };
    }
    if (state !== "active" && state !== "reloading")
      return { status: UNIT_STATES[state] ?? "UNKNOWN", detail: `${unit} is ${state || "unknown"}` };
    const sandbox = (argv: readonly string[], s?: AbortSignal) =>
      runInUnitSandbox(join(this.unitDir, unit), argv, s);
    const declared = await runHealthChecks(activeChecks(this, ref, checks), sandbox, signal);
    return declared.ok
      ? { status: "HEALTHY", detail: `${unit} is ${state}; ${declared.detail}` }
      : { status: "UNHEALTHY", detail: declared.detail };
  }

  stats(ref: ServiceRef, checks: readonly HealthCheck[], signal?: AbortSignal) {
    const declared = activeChecks(this, ref, checks);
    return unitServiceStats(this.unitStats, this.label(ref), this.currentRelease(ref), declared, signal);
  }

  recentLogs(ref: ServiceRef, lines: number, signal?: AbortSignal): Promise<string[]> {
    return unitJournal(this.label(ref), lines, signal);
  }

  followLogs(
    ref: ServiceRef,
    options: LogStreamOptions,
    sink: LineSink,
    signal: AbortSignal,
  ): Promise<string> {
    return followJournal(this.label(ref), options, sink, signal);
  }

  /** What systemd runs: the release whose EnvironmentFile the installed unit names. */
  async currentRelease(ref: ServiceRef): Promise<string | null> {
    const installed = await readFile(join(this.unitDir, this.label(ref)), "utf8").catch(() => null);
    if (installed === null) return null;
    const named = /^EnvironmentFile=.*\/releases\/([a-z0-9][a-z0-9-]{0,62})\/env$/m.exec(installed)?.[1];
    return named ?? readCurrent(this.serviceDir(ref));
  }

  releasePorts(ref: ServiceRef, releaseId: string): PortSettings | null {
    const path = join(this.releaseDir(ref, releaseId), "ports.json");
    return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as PortSettings) : null;
  }

  releaseUnit(ref: ServiceRef, releaseId: string): string {
    return readFileSync(join(this.releaseDir(ref, releaseId), "unit.service"), "utf8");
  }

  saveReleaseUnit(ref: ServiceRef, releaseId: string, text: string): void {
    writeFileAtomic(join(this.releaseDir(ref, releaseId), "unit.service"), text, 0o600);
  }

  /** A Nix unit names its store path and release folder, never `current`. */
  pinUnit(_ref: ServiceRef, _releaseId: string, text: string): string {
    return text;
  }

  async adopt(ref: ServiceRef, releaseId: string): Promise<void> {
    await switchCurrent(this.serviceDir(ref), releaseId);
  }

  servingPort(ref: ServiceRef, port: number): number {
    return activePort(this.serviceDir(ref), port);
  }

  async besideBlocker(ref: ServiceRef, releaseId: string): Promise<string | null> {
    if (!(await this.storePath(ref, releaseId))) return `the built package of release ${releaseId} is gone`;
    return unitBesideBlocker(this, ref, releaseId);
  }

  startBeside(
    ref: ServiceRef,
    releaseId: string,
    ctx: StepContext,
    checks?: readonly HealthCheck[],
  ): Promise<BesideRelease> {
    return startUnitBeside(this, ref, releaseId, ctx, checks);
  }

  async hasRelease(ref: ServiceRef, releaseId: string): Promise<boolean> {
    return (
      (await exists(join(this.releaseDir(ref, releaseId), "unit.service"))) &&
      (await this.storePath(ref, releaseId)) !== null
    );
  }

  async stop(ref: ServiceRef, signal?: AbortSignal): Promise<void> {
    await runChecked("systemctl", ["stop", this.label(ref)], { signal, timeoutMs: 120_000 });
  }

  async start(ref: ServiceRef, signal?: AbortSignal): Promise<void> {
    await runChecked("systemctl", ["start", this.label(ref)], { signal, timeoutMs: 120_000 });
  }

  async restart(ref: ServiceRef, signal?: AbortSignal): Promise<void> {
    await runChecked("systemctl", ["restart", this.label(ref)], { signal, timeoutMs: 120_000 });
  }

  reload(ref: ServiceRef, signal?: AbortSignal): Promise<void> {
    return reloadUnit(join(this.unitDir, this.label(ref)), this.label(ref), signal);
  }

  /** Paths are the running unit's (its ExecStart= points into the store path). */
  runCommand(ref: ServiceRef, command: OneOffCommand, ctx: StepContext): Promise<StreamedCommand> {
    const unit = this.label(ref);
    return runInUnit(unit, join(this.unitDir, unit), sandboxProperties, command, ctx);
  }

  /** Stops and disables the unit, deletes it and every release (their out-links: GC roots). */
  async remove(ref: ServiceRef, signal?: AbortSignal, options?: { data?: "keep" | "delete" }): Promise<void> {
    const unit = this.label(ref);
    const idle = (["a", "b"] as const)
      .map((slot) => slotUnitName(this.baseUnit(ref), slot))
      .find((u) => u !== unit)!;
    await removeUnit(join(this.unitDir, idle), idle, signal);
    // The active unit last, with its data: `systemctl clean` needs its unit file.
    await removeUnit(join(this.unitDir, unit), unit, signal, options);
    await rm(this.serviceDir(ref), { recursive: true, force: true });
  }

  async prune(
    ref: ServiceRef,
    keep: number,
    protect: readonly (string | undefined)[],
    discard: readonly string[] = [],
  ): Promise<void> {
    const running = await this.currentRelease(ref);
    await pruneReleases(this.serviceDir(ref), keep, [...protect, running ?? undefined], discard);
  }
}

async function exists(path: string, mode = constants.F_OK): Promise<boolean> {
  return access(path, mode).then(
    () => true,
    () => false,
  );
}
