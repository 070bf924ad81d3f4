// systemd runtime: artifact -> releases/<id>/, EnvironmentFile (0600) per release, unit from
// packages/templates with the hardening directives this host cannot apply dropped, `current`
// switched atomically, daemon-reload + enable + restart; health is is-active plus the declared
// checks. The deploy template (deploy-release.ts) drives it; a rollback activates the previous
// release's saved unit, env file and `current` again. Staging is in systemd-stage.ts.
import { existsSync, readFileSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { LogStreamOptions, OneOffCommand } from "@capstan/protocol";
import type { HealthCheck, TaskSpec } from "@capstan/templates";
import { isSystemdService, renderTaskUnits, serviceUnitName } from "@capstan/templates";
import { runChecked, runLogged } from "../exec";
import type { LineSink } from "../log-streams/follow-container-logs";
import { followJournal } from "../log-streams/follow-journal";
import { assertName } from "../names";
import { writeFileAtomic } from "../state";
import { pruneReleases, readCurrent, switchCurrent } from "./artifacts";
import type { BundleCache } from "./bundles";
import { type Softening, startWithHardeningRetry } from "./hardening-retry";
import { runInUnit } from "./one-off-command";
import type { StreamedCommand } from "./release-command";
import {
  type ArtifactResolver,
  readSoftenings,
  type SystemdPaths,
  stageSystemdRelease,
} from "./systemd-stage";
import { type SavedTask, TaskTimers, taskSettingsFrom } from "./task-timers";
import type { BesideRelease, Probe, Runtime, ServiceRef, StageRequest, StepContext } from "./types";
import {
  activeChecks,
  inPlaceUnitText,
  startUnitBeside,
  type UnitSlotHost,
  unitBesideBlocker,
} from "./unit-beside";
import {
  probeUnit,
  reloadUnit,
  removeUnit,
  sandboxProperties,
  TASK_SETTINGS,
  unitJournal,
} from "./unit-control";
import { runUnitRelease } from "./unit-release";
import { activePort, activeUnit, type PortSettings, portSettings, slotUnitName } from "./unit-slots";
import { UnitStats, unitServiceStats } from "./unit-stats";

export class SystemdRuntime implements Runtime, UnitSlotHost {
  readonly kind = "systemd";
  private readonly unitStats = new UnitStats();

  constructor(
    readonly root: string,
    readonly unitDir: string,
    readonly artifacts?: ArtifactResolver,
    /** For `artifact: { bundle: true }`: the revision's project files are the release. */
    readonly bundles?: BundleCache,
  ) {}

  unitName(workflow: string, service: string): string {
    return serviceUnitName(assertName(workflow, "workflow name"), assertName(service, "service name"));
  }

  baseUnit(ref: ServiceRef): string {
    return this.unitName(ref.workflow, ref.service);
  }

  /** The unit that serves now: the service's active slot (unit-slots.ts). */
  label(ref: ServiceRef): string {
    return activeUnit(this.baseUnit(ref), this.slotDir(ref));
  }

  slotDir(ref: ServiceRef): string {
    return this.serviceDir(ref.workflow, ref.service);
  }

  serviceDir(workflow: string, service: string): string {
    return join(this.root, assertName(workflow, "workflow name"), assertName(service, "service name"));
  }

  paths(workflow: string, service: string, releaseId: string): SystemdPaths {
    const serviceDir = this.serviceDir(workflow, service);
    return { serviceDir, envFile: join(serviceDir, "env", `${assertName(releaseId, "release id")}.env`) };
  }

  private get tasks(): TaskTimers {
    return new TaskTimers(this.unitDir);
  }

  /** The release's `tasks:` (saved at stage, rendered at activation against the unit that runs). */
  savedTasksPath(ref: ServiceRef, releaseId: string): string {
    return join(
      this.serviceDir(ref.workflow, ref.service),
      "units",
      `${assertName(releaseId, "release id")}.tasks.json`,
    );
  }

  /** Schedules the release's tasks with the user, sandbox and environment of `unitText`. */
  private async syncTasks(ref: ServiceRef, releaseId: string, unitText: string, ctx: StepContext) {
    const path = this.savedTasksPath(ref, releaseId);
    const specs = existsSync(path)
      ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, TaskSpec>)
      : {};
    const settings = taskSettingsFrom(unitText, TASK_SETTINGS);
    const current = join(this.serviceDir(ref.workflow, ref.service), "current");
    const tasks: SavedTask[] = Object.entries(specs).map(([task, spec]) => {
      const [program, ...args] = spec.command;
      const path = program!.startsWith("current/") ? join(current, program!.slice(8)) : program!;
      const units = renderTaskUnits({ ...ref, task, spec, argv: [path, ...args], serviceSettings: settings });
      return { ...units, schedule: spec.schedule };
    });
    await this.tasks.sync(ref, tasks, ctx);
  }

  /** What the hardening retry did to the release's unit (systemd-stage.ts SavedSoftenings). */
  savedSofteningsPath(ref: ServiceRef, releaseId: string): string {
    return join(
      this.serviceDir(ref.workflow, ref.service),
      "units",
      `${assertName(releaseId, "release id")}.softened.json`,
    );
  }

  savedUnitPath(ref: ServiceRef, releaseId: string): string {
    return join(
      this.serviceDir(ref.workflow, ref.service),
      "units",
      `${assertName(releaseId, "release id")}.service`,
    );
  }

  async systemctl(args: string[], signal?: AbortSignal): Promise<void> {
    await runChecked("systemctl", args, { signal, timeoutMs: 120_000 });
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

  probe(ref: ServiceRef, checks: readonly HealthCheck[], signal?: AbortSignal): Promise<Probe> {
    const unit = this.label(ref);
    return probeUnit(unit, join(this.unitDir, unit), activeChecks(this, ref, checks), signal);
  }

  stats(ref: ServiceRef, checks: readonly HealthCheck[], signal?: AbortSignal) {
    const declared = activeChecks(this, ref, checks);
    return unitServiceStats(this.unitStats, this.label(ref), this.currentRelease(ref), declared, signal);
  }

  /** The release `current` points at (what actually runs after a crash mid-deploy). */
  currentRelease(ref: ServiceRef): Promise<string | null> {
    return readCurrent(this.serviceDir(ref.workflow, ref.service));
  }

  /**
   * Everything that can be refused happens before the host changes: secrets, the artifact's
   * sha256, the hardening probe. Then the release folder, its env file and its unit are saved.
   */
  async stage(request: StageRequest, ctx: StepContext): Promise<void> {
    const ports = portSettings(request.spec);
    await stageSystemdRelease(this, request, ctx);
    const path = this.savedPortsPath(request.ref, request.releaseId);
    if (ports) writeFileAtomic(path, JSON.stringify(ports), 0o600);
    else await rm(path, { force: true });
  }

  /** The release's port settings (unit-slots.ts), saved at stage when it sets portEnv. */
  private savedPortsPath(ref: ServiceRef, releaseId: string): string {
    return join(this.slotDir(ref), "units", `${assertName(releaseId, "release id")}.ports.json`);
  }

  releasePorts(ref: ServiceRef, releaseId: string): PortSettings | null {
    const path = this.savedPortsPath(ref, releaseId);
    return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as PortSettings) : null;
  }

  releaseUnit(ref: ServiceRef, releaseId: string): string {
    return readFileSync(this.savedUnitPath(ref, releaseId), "utf8");
  }

  saveReleaseUnit(ref: ServiceRef, releaseId: string, text: string, step: Softening): void {
    const path = this.savedSofteningsPath(ref, releaseId);
    const saved = readSoftenings(path) ?? { program: null, steps: [] };
    writeFileAtomic(path, JSON.stringify({ ...saved, steps: [...saved.steps, step] }), 0o600);
    writeFileAtomic(this.savedUnitPath(ref, releaseId), text, 0o600);
  }

  pinUnit(ref: ServiceRef, releaseId: string, text: string): string {
    const dir = this.slotDir(ref);
    const release = join(dir, "releases", assertName(releaseId, "release id"));
    return text.replace(new RegExp(`${escapeRegExp(join(dir, "current"))}(?=/|\\s|$)`, "gm"), release);
  }

  async adopt(ref: ServiceRef, releaseId: string, unitText: string, ctx: StepContext): Promise<void> {
    await switchCurrent(this.slotDir(ref), releaseId);
    await this.syncTasks(ref, releaseId, unitText, ctx);
  }

  servingPort(ref: ServiceRef, port: number): number {
    return activePort(this.slotDir(ref), port);
  }

  async besideBlocker(ref: ServiceRef, releaseId: string): Promise<string | null> {
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

  /** The release command, in a transient unit made from the new release's saved unit. */
  async runRelease(request: StageRequest, ctx: StepContext): Promise<void> {
    const { ref, releaseId, spec } = request;
    if (!isSystemdService(spec) || !spec.release) return;
    const unitText = readFileSync(this.savedUnitPath(ref, releaseId), "utf8");
    const dir = this.serviceDir(ref.workflow, ref.service);
    const current = { link: join(dir, "current"), release: join(dir, "releases", releaseId) };
    const [program, ...args] = spec.release.command;
    const path = program!.startsWith("current/") ? join(current.release, program!.slice(8)) : program!;
    await runUnitRelease(
      {
        unit: this.label(ref),
        release: spec.release,
        unitText,
        sandbox: sandboxProperties(unitText),
        argv: [path, ...args],
        current,
      },
      ctx,
    );
  }

  /** Puts a release's unit in place and (re)starts it. */
  private async install(ref: ServiceRef, releaseId: string, unitText: string, ctx: StepContext) {
    const unit = this.label(ref);
    writeFileAtomic(join(this.unitDir, unit), await inPlaceUnitText(this, ref, releaseId, unitText), 0o644);
    await switchCurrent(this.serviceDir(ref.workflow, ref.service), releaseId);
    // `enable` reloads the manager by itself; the one reload after it is enough.
    for (const args of [["enable", "--no-reload", unit], ["daemon-reload"], ["restart", unit]])
      await runLogged("systemctl", args, ctx);
  }

  async activate(
    ref: ServiceRef,
    releaseId: string,
    ctx: StepContext,
    checks?: readonly HealthCheck[],
  ): Promise<void> {
    const unit = this.label(ref);
    const text = await startWithHardeningRetry(
      unit,
      this.releaseUnit(ref, releaseId),
      async (t) => {
        await this.install(ref, releaseId, t, ctx);
        ctx.log("info", `systemd: ${unit} restarted with release ${releaseId}`);
      },
      (t, step) => this.saveReleaseUnit(ref, releaseId, t, step),
      ctx,
      checks && (async () => (await this.probe(ref, checks, ctx.signal)).status === "HEALTHY"),
    );
    await this.syncTasks(ref, releaseId, text, ctx);
  }

  async hasRelease(ref: ServiceRef, releaseId: string): Promise<boolean> {
    return existsSync(this.savedUnitPath(ref, releaseId));
  }

  stop(ref: ServiceRef, signal?: AbortSignal): Promise<void> {
    return this.systemctl(["stop", this.label(ref)], signal);
  }

  start(ref: ServiceRef, signal?: AbortSignal): Promise<void> {
    return this.systemctl(["start", this.label(ref)], signal);
  }

  restart(ref: ServiceRef, signal?: AbortSignal): Promise<void> {
    return this.systemctl(["restart", this.label(ref)], signal);
  }

  /** Keeps the newest releases, then the env files and saved units of the ones that are left. */
  async prune(
    ref: ServiceRef,
    keep: number,
    protect: readonly (string | undefined)[],
    discard: readonly string[] = [],
  ): Promise<void> {
    const dir = this.serviceDir(ref.workflow, ref.service);
    await pruneReleases(dir, keep, [...protect], discard);
    const live = new Set(await readdir(join(dir, "releases")).catch(() => [] as string[]));
    for (const sub of ["env", "units"]) {
      for (const file of await readdir(join(dir, sub)).catch(() => [] as string[])) {
        if (!live.has(file.replace(/\.(env|service|tasks\.json|ports\.json|softened\.json)$/, "")))
          await rm(join(dir, sub, file), { force: true });
      }
    }
  }

  reload(ref: ServiceRef, signal?: AbortSignal): Promise<void> {
    return reloadUnit(join(this.unitDir, this.label(ref)), this.label(ref), signal);
  }

  /** `current/...` is the running release, as in `exec`. */
  runCommand(ref: ServiceRef, command: OneOffCommand, ctx: StepContext): Promise<StreamedCommand> {
    const [program, ...args] = command.argv;
    const inRelease = program!.startsWith("current/") && !program!.split("/").includes("..");
    const argv = [inRelease ? join(this.serviceDir(ref.workflow, ref.service), program!) : program!, ...args];
    const unit = this.label(ref);
    return runInUnit(unit, join(this.unitDir, unit), sandboxProperties, { ...command, argv }, ctx);
  }

  /** Stop, disable, remove both slots' units and the service's files. */
  async remove(ref: ServiceRef, signal?: AbortSignal, options?: { data?: "keep" | "delete" }): Promise<void> {
    const unit = this.label(ref);
    const idle = [slotUnitName(this.baseUnit(ref), "a"), slotUnitName(this.baseUnit(ref), "b")].find(
      (u) => u !== unit,
    )!;
    await this.tasks.remove(ref, signal);
    await removeUnit(join(this.unitDir, idle), idle, signal);
    // The active unit last, with its data: `systemctl clean` needs its unit file.
    await removeUnit(join(this.unitDir, unit), unit, signal, options);
    await rm(this.serviceDir(ref.workflow, ref.service), { recursive: true, force: true });
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
