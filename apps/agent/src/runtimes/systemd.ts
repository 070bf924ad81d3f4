// systemd runtime: artifact -> releases/<id>/, EnvironmentFile (0600) per release, unit from
// packages/templates with the hardening directives this host cannot apply dropped, `current`
// switched atomically, daemon-reload + enable + restart, then is-active plus declared checks
// before the deadline. Rollback switches `current`, the unit and the env file back.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { HealthCheck } from "@capstan/templates";
import { serviceUnitName } from "@capstan/templates";
import { run, runChecked, tail } from "../exec";
import { type CheckResult, runHealthChecks, waitUntilHealthy } from "../health";
import { assertName } from "../names";
import { writeFileAtomic } from "../state";
import { type ArtifactFormat, pruneReleases, readCurrent, switchCurrent, unpackRelease } from "./artifacts";
import type { DeployLog, DeployOutcome } from "./compose";
import { dropUnsupportedDirectives } from "./hardening";

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

export interface SystemdDeployInput {
  workflow: string;
  service: string;
  releaseId: string;
  env: string;
  renderUnit(paths: SystemdPaths, omitDirectives: readonly string[]): string;
  artifact?: ArtifactSource;
  healthChecks: readonly HealthCheck[];
  deadline: number;
  autoRollback: boolean;
  previousReleaseId?: string;
  keepReleases: number;
  log: DeployLog;
  signal?: AbortSignal;
}

export class SystemdRuntime {
  constructor(
    private readonly root: string,
    private readonly unitDir: string,
  ) {}

  unitName(workflow: string, service: string): string {
    return serviceUnitName(assertName(workflow, "workflow name"), assertName(service, "service name"));
  }

  serviceDir(workflow: string, service: string): string {
    return join(this.root, assertName(workflow, "workflow name"), assertName(service, "service name"));
  }

  paths(workflow: string, service: string, releaseId: string): SystemdPaths {
    const serviceDir = this.serviceDir(workflow, service);
    return { serviceDir, envFile: join(serviceDir, "env", `${assertName(releaseId, "release id")}.env`) };
  }

  private savedUnitPath(workflow: string, service: string, releaseId: string): string {
    return join(this.serviceDir(workflow, service), "units", `${releaseId}.service`);
  }

  async systemctl(args: string[], signal?: AbortSignal): Promise<void> {
    await runChecked("systemctl", args, { signal, timeoutMs: 120_000 });
  }

  async isActive(unit: string, signal?: AbortSignal): Promise<CheckResult> {
    const result = await run("systemctl", ["is-active", unit], { signal, timeoutMs: 20_000 });
    const state = result.stdout.trim() || "unknown";
    return { ok: state === "active", detail: `${unit} is ${state}` };
  }

  async probe(workflow: string, service: string, checks: readonly HealthCheck[], signal?: AbortSignal) {
    const active = await this.isActive(this.unitName(workflow, service), signal);
    if (!active.ok) return active;
    const declared = await runHealthChecks(checks, signal);
    return declared.ok ? active : declared;
  }

  /** The release `current` points at (what actually runs after a crash mid-deploy). */
  currentRelease(workflow: string, service: string): Promise<string | null> {
    return readCurrent(this.serviceDir(workflow, service));
  }

  /** Puts a saved release's unit in place and (re)starts it. */
  private async activate(workflow: string, service: string, releaseId: string, signal?: AbortSignal) {
    const unit = this.unitName(workflow, service);
    const text = readFileSync(this.savedUnitPath(workflow, service, releaseId), "utf8");
    writeFileAtomic(join(this.unitDir, unit), text, 0o644);
    await switchCurrent(this.serviceDir(workflow, service), releaseId);
    await this.systemctl(["daemon-reload"], signal);
    await this.systemctl(["enable", unit], signal);
    await this.systemctl(["restart", unit], signal);
  }

  async deploy(input: SystemdDeployInput): Promise<DeployOutcome> {
    const { workflow, service, releaseId, log, signal } = input;
    const unit = this.unitName(workflow, service);
    const paths = this.paths(workflow, service, releaseId);
    const releasesDir = join(paths.serviceDir, "releases");
    await mkdir(releasesDir, { recursive: true, mode: 0o755 });
    // mkdir's mode is cut by the agent unit's UMask=0077; the service's user must traverse these.
    for (const dir of [this.root, dirname(paths.serviceDir), paths.serviceDir, releasesDir])
      await chmod(dir, 0o711);
    await mkdir(join(paths.serviceDir, "env"), { recursive: true, mode: 0o700 });
    await mkdir(join(paths.serviceDir, "units"), { recursive: true, mode: 0o700 });

    // 1. Everything that can be refused is checked before the host changes.
    if (input.artifact) {
      const download = join(paths.serviceDir, `.download-${randomBytes(6).toString("hex")}`);
      try {
        await input.artifact.fetch(download, signal);
        log("info", "systemd: artifact downloaded, sha256 verified");
        await unpackRelease(
          download,
          input.artifact.format,
          releasesDir,
          releaseId,
          input.artifact.binaryName,
        );
      } finally {
        await rm(download, { force: true });
      }
    } else {
      await mkdir(join(releasesDir, releaseId), { recursive: true, mode: 0o755 });
    }
    const { dropped } = await dropUnsupportedDirectives(input.renderUnit(paths, []), signal);
    for (const directive of dropped) {
      log(
        "warn",
        `systemd: ${directive}= cannot be applied on this host (probe failed); dropped from ${unit}`,
      );
    }

    // 2. Files, then the switch, then systemd.
    writeFileAtomic(paths.envFile, input.env, 0o600);
    let failure: string;
    try {
      // A directive can also be unusable for this program on this host: a seccomp filter kills
      // a process that needs a syscall outside the allowed set (SIGSYS; Node on these hosts),
      // and MemoryDenyWriteExecute= kills JIT runtimes (SIGTRAP). On SIGSYS the filter first
      // stays on with SystemCallErrorNumber=EPERM (the call fails instead of killing); only if
      // that is not enough, or on SIGTRAP, the directive is dropped. Every step is logged.
      let softened = false;
      for (let attempt = 0; ; attempt++) {
        let text = input.renderUnit(paths, dropped);
        if (softened) text = text.replace(/^(SystemCallFilter=.*)$/m, "$1\nSystemCallErrorNumber=EPERM");
        writeFileAtomic(this.savedUnitPath(workflow, service, releaseId), text, 0o600);
        // When the kill comes before systemd finished starting the unit, `systemctl restart`
        // itself fails ("a fatal signal was delivered"): the same hardening check applies.
        let restartError: unknown;
        try {
          await this.activate(workflow, service, releaseId, signal);
          log("info", `systemd: ${unit} restarted with release ${releaseId}`);
        } catch (error) {
          restartError = error;
        }
        const killer = attempt < 3 ? await this.killedByHardening(unit, dropped, signal) : null;
        if (!killer) {
          if (restartError) throw restartError;
          break;
        }
        if (killer === "SystemCallFilter" && !softened) {
          softened = true;
          log(
            "warn",
            `systemd: ${unit} was killed by SystemCallFilter= (SIGSYS); keeping the filter with SystemCallErrorNumber=EPERM`,
          );
          continue;
        }
        dropped.push(killer);
        log("warn", `systemd: ${unit} was killed by ${killer}= on this host; dropped it and restarting`);
      }
      const result = await waitUntilHealthy(
        () => this.probe(workflow, service, input.healthChecks, signal),
        input.deadline,
        signal,
        1000,
        (r) => log("info", `systemd: waiting for health: ${r.detail}`),
      );
      if (result.ok) {
        log("info", `systemd: ${unit} is healthy (${result.detail})`);
        await pruneReleases(paths.serviceDir, input.keepReleases, [releaseId, input.previousReleaseId]);
        await this.pruneSidecars(workflow, service);
        return { ok: true, message: result.detail, activeReleaseId: releaseId, rolledBack: false };
      }
      failure = result.detail;
    } catch (error) {
      failure = tail((error as Error).message);
    }
    log("error", `systemd: ${unit} release ${releaseId} failed: ${failure}`);
    const previous = input.previousReleaseId;
    if (
      !input.autoRollback ||
      !previous ||
      previous === releaseId ||
      !this.hasRelease(workflow, service, previous)
    ) {
      return { ok: false, message: failure, rolledBack: false };
    }
    log("warn", `systemd: rolling back ${unit} to release ${previous}`);
    try {
      await this.activate(workflow, service, previous, signal);
      const back = await waitUntilHealthy(
        () => this.probe(workflow, service, input.healthChecks, signal),
        Date.now() + 60_000,
        signal,
      );
      log(back.ok ? "info" : "error", `systemd: previous release ${previous}: ${back.detail}`);
      return {
        ok: false,
        message: `${failure}; rolled back to ${previous}`,
        activeReleaseId: previous,
        rolledBack: true,
      };
    } catch (error) {
      log("error", `systemd: rollback failed: ${tail((error as Error).message)}`);
      return { ok: false, message: `${failure}; rollback failed`, rolledBack: false };
    }
  }

  /** Waits briefly for the main process; names the directive whose signal killed it, if any. */
  private async killedByHardening(
    unit: string,
    dropped: string[],
    signal?: AbortSignal,
  ): Promise<string | null> {
    const text = readFileSync(join(this.unitDir, unit), "utf8");
    const suspects = [
      { directive: "SystemCallFilter", status: "31" },
      { directive: "MemoryDenyWriteExecute", status: "5" },
    ].filter((s) => !dropped.includes(s.directive) && new RegExp(`^${s.directive}=`, "m").test(text));
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

  hasRelease(workflow: string, service: string, releaseId: string): boolean {
    return existsSync(this.savedUnitPath(workflow, service, releaseId));
  }

  /** Env files and saved units of releases that were pruned. */
  private async pruneSidecars(workflow: string, service: string): Promise<void> {
    const dir = this.serviceDir(workflow, service);
    const live = new Set(await readdir(join(dir, "releases")).catch(() => [] as string[]));
    for (const sub of ["env", "units"]) {
      for (const file of await readdir(join(dir, sub)).catch(() => [] as string[])) {
        if (!live.has(file.replace(/\.(env|service)$/, ""))) await rm(join(dir, sub, file), { force: true });
      }
    }
  }

  /** Stop, disable, remove the unit and the service's files. */
  async remove(workflow: string, service: string, signal?: AbortSignal): Promise<void> {
    const unit = this.unitName(workflow, service);
    await run("systemctl", ["disable", "--now", unit], { signal, timeoutMs: 120_000 });
    await rm(join(this.unitDir, unit), { force: true });
    await run("systemctl", ["daemon-reload"], { signal, timeoutMs: 60_000 });
    await run("systemctl", ["reset-failed", unit], { signal, timeoutMs: 20_000 });
    await rm(this.serviceDir(workflow, service), { recursive: true, force: true });
  }
}
