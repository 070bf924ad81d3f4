// systemd runtime: artifact -> releases/<id>/, EnvironmentFile (0600) per release, unit from
// packages/templates with the hardening directives this host cannot apply dropped, `current`
// switched atomically, daemon-reload + enable + restart; health is is-active plus the declared
// checks. The deploy template (deploy-release.ts) drives it; a rollback activates the previous
// release's saved unit, env file and `current` again.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, readdir, readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { LogStreamOptions, OneOffCommand } from "@capstan/protocol";
import type { HealthCheck, TaskSpec } from "@capstan/templates";
import { hardeningSchema, isSystemdService, renderTaskUnits, serviceUnitName } from "@capstan/templates";
import { renderEnvironmentFile } from "@capstan/templates/systemd/render-environment-file";
import { renderSystemdUnit } from "@capstan/templates/systemd/render-systemd-unit";
import { run, runChecked, runLogged } from "../exec";
import { type CheckResult, COMMAND_CHECK_TIMEOUT_MS, runHealthChecks } from "../health";
import { enforceSystemdPolicy } from "../host-policy";
import type { LineSink } from "../log-streams/follow-container-logs";
import { followJournal } from "../log-streams/follow-journal";
import { assertName } from "../names";
import { writeFileAtomic } from "../state";
import {
  type ArtifactFormat,
  type FileArtifact,
  pruneReleases,
  readCurrent,
  switchCurrent,
  unpackRelease,
} from "./artifacts";
import { type BundleCache, unpackBundle } from "./bundles";
import { cleanLines } from "./container-logs";
import { dropUnsupportedDirectives } from "./hardening";
import { runInUnit } from "./one-off-command";
import type { StreamedCommand } from "./release-command";
import { checkSchedules, type SavedTask, TaskTimers, taskSettingsFrom } from "./task-timers";
import type { Probe, Runtime, ServiceRef, StageRequest, StepContext } from "./types";
import { runUnitRelease } from "./unit-release";
import { UnitStats, unitServiceStats } from "./unit-stats";

export interface SystemdPaths {
  /** <state>/systemd/<workflow>/<service>: releases/, current, env/, units/ */
  serviceDir: string;
  /** The EnvironmentFile for this release. */
  envFile: string;
}

export interface ArtifactSource {
  format: ArtifactFormat;
  /** File name for a single binary inside the release folder. */
  binaryName: string;
  /** Downloads and verifies (sha256) into `dest`; throws before anything changes on mismatch. */
  fetch(dest: string, signal?: AbortSignal): Promise<void>;
}

/** Where a spec's artifact is fetched from (URL, or an upload on the control plane). */
export type ArtifactResolver = (artifact: FileArtifact) => ArtifactSource;

export function pickSecrets(
  names: readonly string[],
  secrets: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = secrets[name];
    // A missing secret fails the deploy; it never deploys an empty value.
    if (value === undefined) throw new Error(`secret ${name} has no value`);
    out[name] = value;
  }
  return out;
}

/** Unit settings a command check takes from its service: who it runs as, and its sandbox. */
const SANDBOX_SETTINGS = new Set([
  ...Object.keys(hardeningSchema.shape).filter((key) => key !== "profile"),
  "User",
  "DynamicUser",
  "SystemCallErrorNumber",
  "CPUQuota",
  "MemoryMax",
  "TasksMax",
]);

/** A scheduled task also runs in the service's folder with its environment. */
const TASK_SETTINGS = new Set([...SANDBOX_SETTINGS, "EnvironmentFile", "WorkingDirectory"]);

/**
 * A command check runs as a transient unit with the service's user and the hardening of the unit
 * that runs now (`unitPath`), never as the agent: the agent's key and state stay out of its reach.
 */
export async function runInUnitSandbox(
  unitPath: string,
  argv: readonly string[],
  signal?: AbortSignal,
): Promise<CheckResult> {
  const properties = sandboxProperties(readFileSync(unitPath, "utf8"));
  const limit = `RuntimeMaxSec=${COMMAND_CHECK_TIMEOUT_MS / 1000}`;
  const result = await run(
    "systemd-run",
    ["--wait", "--pipe", "--quiet", "--collect", "--property", limit, ...properties, "--", ...argv],
    { signal, timeoutMs: COMMAND_CHECK_TIMEOUT_MS + 10_000, input: "" },
  );
  return result.code === 0
    ? { ok: true, detail: `${argv[0]} exited 0` }
    : { ok: false, detail: `${argv[0]} exited ${result.code}` };
}

/**
 * A unit counts as up only once it has stayed active this long without a restart: with
 * `Restart=`, a program that crashes at start is "active" for a moment between crashes, and a
 * probe that lands in that moment must not call it healthy (PM2's min_uptime, the same idea).
 */
export const MIN_UPTIME_MS = 2000;

/**
 * The unit's state, with "active" held back as "activating" until it has been up for
 * MIN_UPTIME_MS. ActiveEnterTimestampMonotonic is CLOCK_MONOTONIC, the clock of hrtime.
 */
export async function settledUnitState(unit: string, signal?: AbortSignal): Promise<string> {
  const result = await run(
    "systemctl",
    ["show", "--property=ActiveState,ActiveEnterTimestampMonotonic", "--", unit],
    { signal, timeoutMs: 20_000 },
  );
  const props = Object.fromEntries(
    result.stdout
      .split("\n")
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
  const state = props.ActiveState?.trim() || "unknown";
  if (state !== "active") return state;
  const entered = props.ActiveEnterTimestampMonotonic ?? "";
  const enteredUs = /^\d+$/.test(entered) ? BigInt(entered) : 0n;
  const upMs = Number(process.hrtime.bigint() / 1000n - enteredUs) / 1000;
  return upMs >= MIN_UPTIME_MS ? "active" : "activating";
}

/** The unit's last journal lines (its own output, as `journalctl -o cat` prints it). */
export async function unitJournal(unit: string, lines: number, signal?: AbortSignal): Promise<string[]> {
  const args = ["--unit", unit, "--lines", String(lines), "--no-pager", "--output", "cat"];
  const result = await run("journalctl", args, { signal, timeoutMs: 20_000 });
  return cleanLines(result.stdout, lines);
}

/** `--property` arguments for systemd-run with a unit's user and sandbox settings. */
export function sandboxProperties(unit: string): string[] {
  const properties: string[] = [];
  let section = "";
  for (const line of unit.split("\n")) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) section = header[1]!;
    const setting = /^([A-Za-z]+)=(.*)$/.exec(line);
    // Unit files escape % as %%; properties on the command line are taken literally.
    if (section === "Service" && setting && SANDBOX_SETTINGS.has(setting[1]!))
      properties.push(`${setting[1]}=${setting[2]!.replace(/%%/g, "%")}`);
  }
  if (!properties.some((p) => p.startsWith("User=") || p.startsWith("DynamicUser=")))
    properties.push("DynamicUser=yes");
  return properties.flatMap((p) => ["--property", p]);
}

/** `systemctl reload` of an installed unit, refused in words when it defines no ExecReload=. */
export async function reloadUnit(unitPath: string, unit: string, signal?: AbortSignal): Promise<void> {
  const text = await readFile(unitPath, "utf8").catch(() => "");
  if (!/^ExecReload=/m.test(text))
    throw new Error(
      `${unit} defines no reload (ExecReload=): set systemd.reloadSignal in the workflow and deploy again, or restart it`,
    );
  await runChecked("systemctl", ["reload", unit], { signal, timeoutMs: 120_000 });
}

/**
 * Removes an installed unit; with `data: "delete"` its StateDirectory=, CacheDirectory= and
 * LogsDirectory= go too (`systemctl clean`, which needs the unit file and a stopped unit).
 */
export async function removeUnit(
  unitPath: string,
  unit: string,
  signal?: AbortSignal,
  options?: { data?: "keep" | "delete" },
): Promise<void> {
  await run("systemctl", ["disable", "--now", unit], { signal, timeoutMs: 120_000 });
  if (options?.data === "delete")
    await run("systemctl", ["clean", "--what=state", "--what=cache", "--what=logs", unit], {
      signal,
      timeoutMs: 60_000,
    });
  await rm(unitPath, { force: true });
  await run("systemctl", ["daemon-reload"], { signal, timeoutMs: 60_000 });
  await run("systemctl", ["reset-failed", unit], { signal, timeoutMs: 20_000 });
}

/** A unit's text without `directive=` lines (and the EPERM softening that belongs to a filter). */
function withoutDirective(unit: string, directive: string): string {
  const names = directive === "SystemCallFilter" ? [directive, "SystemCallErrorNumber"] : [directive];
  return unit
    .split("\n")
    .filter((line) => !names.some((name) => line.startsWith(`${name}=`)))
    .join("\n");
}

export class SystemdRuntime implements Runtime {
  readonly kind = "systemd";
  private readonly unitStats = new UnitStats();

  constructor(
    private readonly root: string,
    private readonly unitDir: string,
    private readonly artifacts?: ArtifactResolver,
    /** For `artifact: { bundle: true }`: the revision's project files are the release. */
    private readonly bundles?: BundleCache,
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
  private savedTasksPath(ref: ServiceRef, releaseId: string): string {
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

  private savedUnitPath(ref: ServiceRef, releaseId: string): string {
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

  async probe(ref: ServiceRef, checks: readonly HealthCheck[], signal?: AbortSignal): Promise<Probe> {
    const unit = this.label(ref);
    const state = await settledUnitState(unit, signal);
    if (state !== "active") {
      const stopped = state === "inactive" || state === "failed" || state === "unknown";
      const status = stopped ? "STOPPED" : state === "activating" ? "STARTING" : "UNHEALTHY";
      return { status, detail: `${unit} is ${state}` };
    }
    const sandbox = (argv: readonly string[], s?: AbortSignal) =>
      runInUnitSandbox(join(this.unitDir, unit), argv, s);
    const declared = await runHealthChecks(checks, sandbox, signal);
    return declared.ok
      ? { status: "HEALTHY", detail: `${unit} is active` }
      : { status: "UNHEALTHY", detail: declared.detail };
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
  async stage(request: StageRequest, ctx: StepContext): Promise<void> {
    const { ref, releaseId, spec } = request;
    if (!isSystemdService(spec)) throw new Error(`${ref.workflow}/${ref.service} is not a systemd service`);
    // The host's promise, checked on this host before anything is written.
    enforceSystemdPolicy({ ...ref, spec: spec.systemd, policy: request.hostPolicy });
    const { log, signal } = ctx;
    await checkSchedules(
      Object.values(spec.tasks ?? {}).map((t) => t.schedule),
      signal,
    );
    const unit = this.label(ref);
    const paths = this.paths(ref.workflow, ref.service, releaseId);
    const env = renderEnvironmentFile(spec.env, pickSecrets(spec.secrets, request.secrets));
    const releasesDir = join(paths.serviceDir, "releases");
    await mkdir(releasesDir, { recursive: true, mode: 0o755 });
    // mkdir's mode is cut by the agent unit's UMask=0077; the service's user must traverse these.
    for (const dir of [this.root, dirname(paths.serviceDir), paths.serviceDir, releasesDir])
      await chmod(dir, 0o711);
    await mkdir(join(paths.serviceDir, "env"), { recursive: true, mode: 0o700 });
    await mkdir(join(paths.serviceDir, "units"), { recursive: true, mode: 0o700 });

    const artifact = spec.systemd.artifact;
    if (artifact && "bundle" in artifact) {
      if (!request.bundle)
        throw new Error(
          `${ref.workflow}/${ref.service} takes the revision's bundle as its artifact, but this deployment carries no bundle; give the workflow a \`source\` or deploy it from a folder`,
        );
      if (!this.bundles) throw new Error("this agent cannot fetch project bundles");
      const { file, cached } = await this.bundles.get(request.bundle, signal);
      log(
        "info",
        `systemd: bundle ${request.bundle.sha256.slice(0, 12)} ${cached ? "from the cache" : "downloaded, sha256 verified"}`,
      );
      await unpackBundle(file, join(releasesDir, releaseId));
    } else if (artifact) {
      if (!this.artifacts) throw new Error("this agent cannot fetch artifacts");
      const source = this.artifacts(artifact);
      const download = join(paths.serviceDir, `.download-${randomBytes(6).toString("hex")}`);
      try {
        await source.fetch(download, signal);
        log("info", "systemd: artifact downloaded, sha256 verified");
        await unpackRelease(download, source.format, releasesDir, releaseId, source.binaryName);
      } finally {
        await rm(download, { force: true });
      }
    } else {
      await mkdir(join(releasesDir, releaseId), { recursive: true, mode: 0o755 });
    }
    const rendered = renderSystemdUnit({
      workflow: ref.workflow,
      service: ref.service,
      spec,
      serviceDir: paths.serviceDir,
      environmentFile: paths.envFile,
      note: `revision ${request.revision.number}`,
    });
    const probed = await dropUnsupportedDirectives(rendered, signal);
    for (const directive of probed.dropped) {
      log(
        "warn",
        `systemd: ${directive}= cannot be applied on this host (probe failed); dropped from ${unit}`,
      );
    }
    writeFileAtomic(paths.envFile, env, 0o600);
    writeFileAtomic(this.savedUnitPath(ref, releaseId), probed.unit, 0o600);
    writeFileAtomic(this.savedTasksPath(ref, releaseId), JSON.stringify(spec.tasks ?? {}), 0o600);
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
    const { log, signal } = ctx;
    const unit = this.label(ref);
    const saved = this.savedUnitPath(ref, releaseId);
    let text = readFileSync(saved, "utf8");
    // A directive can also be unusable for this program on this host: a seccomp filter kills
    // a process that needs a syscall outside the allowed set (SIGSYS; Node on these hosts),
    // and MemoryDenyWriteExecute= kills JIT runtimes (SIGTRAP). On SIGSYS the filter first
    // stays on with SystemCallErrorNumber=EPERM (the call fails instead of killing); only if
    // that is not enough, or on SIGTRAP, the directive is dropped. Every step is logged, and the
    // saved unit keeps the result, so a rollback to this release starts what worked.
    for (let attempt = 0; ; attempt++) {
      // When the kill comes before systemd finished starting the unit, `systemctl restart`
      // itself fails ("a fatal signal was delivered"): the same hardening check applies.
      let restartError: unknown;
      try {
        await this.install(ref, releaseId, text, ctx);
        log("info", `systemd: ${unit} restarted with release ${releaseId}`);
      } catch (error) {
        restartError = error;
      }
      const killer = attempt < 3 ? await this.killedByHardening(unit, text, signal) : null;
      if (!killer) {
        if (restartError) throw restartError;
        await this.syncTasks(ref, releaseId, text, ctx);
        return;
      }
      if (killer === "SystemCallFilter" && !/^SystemCallErrorNumber=/m.test(text)) {
        text = text.replace(/^(SystemCallFilter=.*)$/m, "$1\nSystemCallErrorNumber=EPERM");
        log(
          "warn",
          `systemd: ${unit} was killed by SystemCallFilter= (SIGSYS); keeping the filter with SystemCallErrorNumber=EPERM`,
        );
      } else {
        text = withoutDirective(text, killer);
        log("warn", `systemd: ${unit} was killed by ${killer}= on this host; dropped it and restarting`);
      }
      writeFileAtomic(saved, text, 0o600);
    }
  }

  /** Waits briefly for the main process; names the directive whose signal killed it, if any. */
  private async killedByHardening(unit: string, text: string, signal?: AbortSignal): Promise<string | null> {
    const suspects = [
      { directive: "SystemCallFilter", status: "31" },
      { directive: "MemoryDenyWriteExecute", status: "5" },
    ].filter((s) => new RegExp(`^${s.directive}=`, "m").test(text));
    if (!suspects.length) return null;
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 500));
      if (signal?.aborted) return null;
      const show = await run("systemctl", ["show", unit, "--property", "ExecMainCode,ExecMainStatus"], {
        signal,
        timeoutMs: 10_000,
      });
      const code = /ExecMainCode=(\d+)/.exec(show.stdout)?.[1];
      const status = /ExecMainStatus=(\d+)/.exec(show.stdout)?.[1];
      // ExecMainCode 2 = CLD_KILLED, 3 = CLD_DUMPED; the status is then the signal number.
      if (code === "2" || code === "3") return suspects.find((s) => s.status === status)?.directive ?? null;
    }
    return null;
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
