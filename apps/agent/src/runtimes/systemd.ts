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
import { startWithHardeningRetry } from "./hardening-retry";
import { runInUnit } from "./one-off-command";
import type { StreamedCommand } from "./release-command";
import { type ArtifactResolver, type SystemdPaths, stageSystemdRelease } from "./systemd-stage";
import { type SavedTask, TaskTimers, taskSettingsFrom } from "./task-timers";
import type { Probe, Runtime, ServiceRef, StageRequest, StepContext } from "./types";
import {
  probeUnit,
  reloadUnit,
  removeUnit,
  sandboxProperties,
  TASK_SETTINGS,
  unitJournal,
} from "./unit-control";
import { runUnitRelease } from "./unit-release";
import { UnitStats, unitServiceStats } from "./unit-stats";

export class SystemdRuntime implements Runtime {
  readonly kind = "systemd";
  private readonly unitStats = new UnitStats();

  constructor(
    readonly root: string,
    private readonly unitDir: string,
    readonly artifacts?: ArtifactResolver,
    /** For `artifact: { bundle: true }`: the revision's project files are the release. */
    readonly bundles?: BundleCache,
  ) {}

  unitName(workflow: string, service: string): string {
    return serviceUnitName(assertName(workflow, "workflow name"), assertName(service, "service name"));
  }

  label(ref: ServiceRef): string {
    return this.unitName(ref.workflow, ref.service);
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
    return probeUnit(unit, join(this.unitDir, unit), checks, signal);
  }

  stats(ref: ServiceRef, checks: readonly HealthCheck[], signal?: AbortSignal) {
    return unitServiceStats(this.unitStats, this.label(ref), this.currentRelease(ref), checks, signal);
  }

  /** The release `current` points at (what actually runs after a crash mid-deploy). */
  currentRelease(ref: ServiceRef): Promise<string | null> {
    return readCurrent(this.serviceDir(ref.workflow, ref.service));
  }

  /**
   * Everything that can be refused happens before the host changes: secrets, the artifact's
   * sha256, the hardening probe. Then the release folder, its env file and its unit are saved.
   */
  stage(request: StageRequest, ctx: StepContext): Promise<void> {
    return stageSystemdRelease(this, request, ctx);
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
    writeFileAtomic(join(this.unitDir, unit), unitText, 0o644);
    await switchCurrent(this.serviceDir(ref.workflow, ref.service), releaseId);
    for (const args of [["daemon-reload"], ["enable", unit], ["restart", unit]])
      await runLogged("systemctl", args, ctx);
  }

  async activate(ref: ServiceRef, releaseId: string, ctx: StepContext): Promise<void> {
    const unit = this.label(ref);
    const saved = this.savedUnitPath(ref, releaseId);
    const text = await startWithHardeningRetry(
      unit,
      readFileSync(saved, "utf8"),
      async (t) => {
        await this.install(ref, releaseId, t, ctx);
        ctx.log("info", `systemd: ${unit} restarted with release ${releaseId}`);
      },
      (t) => writeFileAtomic(saved, t, 0o600),
      ctx,
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
        if (!live.has(file.replace(/\.(env|service|tasks\.json)$/, "")))
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

  /** Stop, disable, remove the unit and the service's files. */
  async remove(ref: ServiceRef, signal?: AbortSignal, options?: { data?: "keep" | "delete" }): Promise<void> {
    const unit = this.label(ref);
    await this.tasks.remove(ref, signal);
    await removeUnit(join(this.unitDir, unit), unit, signal, options);
    await rm(this.serviceDir(ref.workflow, ref.service), { recursive: true, force: true });
  }
}
