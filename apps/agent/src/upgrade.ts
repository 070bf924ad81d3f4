// Self-upgrade, ordered by the control plane in a heartbeat answer.
//
// The installed agent lives in <state dir>/bin (the install script puts it there; the unit's
// ExecStart points at it), the one place the hardened unit lets the agent write. An upgrade:
//   1. downloads the build for our format, refuses it unless its sha256 is the order's, and runs
//      `<new> version` to see that it starts at all (nothing has changed until here);
//   2. waits until no job runs (the poll loop calls beforePoll between jobs);
//   3. keeps the running file as `<name>.previous`, schedules a guard with systemd-run (a
//      transient timer that runs the *previous* build's `upgrade-guard` after the deadline),
//      renames the new file over the current one and restarts the unit through systemd;
//   4. the new version's first accepted heartbeat carries "succeeded": that is its check-in. It
//      then marks the record and stops the guard timer;
//   5. if it never checks in (it crashes, hangs or cannot reach the control plane), the guard
//      finds the record still "in-progress", renames `.previous` back and restarts the unit; the
//      old version then reports "rolled-back".
// The record (upgrade.json) is what the processes share; each step rewrites it atomically.
import { createHash } from "node:crypto";
import { createWriteStream, linkSync, readFileSync, realpathSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type AgentUpgradeOrder, type AgentUpgradeReport, downloadAgentBinary } from "@capstan/protocol";
import { pause } from "./abort";
import { run } from "./exec";
import type { Logger } from "./log";
import { writeFileAtomic } from "./state";
import { AGENT_VERSION } from "./version";

export type AgentFormat = "executable" | "bundle";

export interface UpgradeRecord {
  id: string;
  from: string;
  to: string;
  format: AgentFormat;
  state: "preparing" | "in-progress" | AgentUpgradeReport["state"];
  detail?: string;
  /** The agent's own unit, restarted after the swap and after a rollback. */
  unit?: string;
  /** systemd-run's unit name for the guard (a .timer and a .service). */
  guardUnit?: string;
  deadlineSeconds: number;
  at: string;
  /** Whether a heartbeat carrying the final state was accepted. */
  reported: boolean;
}

/** What runs now: the single executable, or the JS bundle under a Node of the host's. */
export interface RunningAgent {
  format: AgentFormat;
  /** Real path of the running executable or bundle. */
  path: string;
  /** The Node binary running the bundle. */
  node: string;
}

const MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024;
const UNIT_PATTERN = /^[A-Za-z0-9@._-]{1,200}\.service$/;

/** The record of the last upgrade, shared by the old agent, the new one and the guard. */
export function upgradeRecordPath(stateDir: string): string {
  return join(stateDir, "upgrade.json");
}

export function agentFiles(stateDir: string, format: AgentFormat) {
  const bin = join(stateDir, "bin");
  const current = join(bin, format === "executable" ? "capstan-agent" : "capstan-agent.cjs");
  return {
    bin,
    current,
    previous: `${current}.previous`,
    staged: `${current}.new`,
    record: upgradeRecordPath(stateDir),
  };
}

export function detectRunningAgent(): RunningAgent | null {
  try {
    // node:sea exists from Node 20.12; an older Node simply never runs a single executable of ours.
    const sea = process.getBuiltinModule?.("node:sea") as { isSea(): boolean } | undefined;
    if (sea?.isSea())
      return { format: "executable", path: realpathSync(process.execPath), node: process.execPath };
  } catch {
    // not a single executable
  }
  const script = process.argv[1];
  if (script?.endsWith(".cjs"))
    return { format: "bundle", path: realpathSync(script), node: process.execPath };
  return null; // run from source (tsx): nothing to upgrade
}

/** The unit systemd runs us in, from our cgroup path (`0::/system.slice/capstan-agent.service`). */
export function ownSystemdUnit(cgroupText?: string): string | null {
  let text = cgroupText;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/cgroup", "utf8");
    } catch {
      return null;
    }
  }
  for (const line of text.split("\n")) {
    const unit = line.split(":").at(-1)?.split("/").at(-1) ?? "";
    if (UNIT_PATTERN.test(unit)) return unit;
  }
  return null;
}

export function loadUpgradeRecord(path: string): UpgradeRecord | null {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as UpgradeRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

function saveRecord(path: string, record: UpgradeRecord): void {
  writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`, 0o600);
}

export interface UpgraderDeps {
  stateDir: string;
  url: string;
  arch: string;
  running: RunningAgent | null;
  /** Our unit when systemd runs us; null otherwise. */
  unit: string | null;
  log: Logger;
  fetch?: typeof globalThis.fetch;
  /** The control plane's signature check (trust.ts); nothing is downloaded unless it passes. */
  verify(order: AgentUpgradeOrder): boolean;
}

export class Upgrader {
  private record: UpgradeRecord | null;
  private readonly recordPath: string;
  private staged: AgentUpgradeOrder | null = null;
  private preparing = false;
  private interrupt = new AbortController();

  constructor(private readonly deps: UpgraderDeps) {
    this.recordPath = upgradeRecordPath(deps.stateDir);
    this.record = loadUpgradeRecord(this.recordPath);
    const r = this.record;
    // Interrupted before the swap (or a restart between swap and restart failed): nothing changed.
    if (r && (r.state === "preparing" || (r.state === "in-progress" && r.to !== AGENT_VERSION))) {
      rmSync(agentFiles(deps.stateDir, r.format).staged, { force: true });
      this.finish(
        "failed",
        `the agent restarted before the upgrade to ${r.to} finished; still running ${AGENT_VERSION}`,
      );
    }
  }

  /** What the next heartbeat tells the control plane, if anything. */
  report(): AgentUpgradeReport | undefined {
    const r = this.record;
    if (!r || r.reported) return undefined;
    if (r.state === "in-progress" && r.to === AGENT_VERSION) return { id: r.id, state: "succeeded" };
    if (r.state === "succeeded" || r.state === "failed" || r.state === "rolled-back")
      return { id: r.id, state: r.state, ...(r.detail ? { detail: r.detail.slice(0, 1024) } : {}) };
    return undefined;
  }

  /** A heartbeat carrying `report` was accepted. For "succeeded" that was the check-in. */
  async acknowledged(report: AgentUpgradeReport): Promise<void> {
    const r = this.record;
    if (!r || r.id !== report.id) return;
    const checkIn = r.state === "in-progress";
    this.record = { ...r, state: report.state, reported: true, at: new Date().toISOString() };
    saveRecord(this.recordPath, this.record);
    if (checkIn && r.guardUnit) {
      this.deps.log.info(
        { version: AGENT_VERSION, from: r.from },
        "upgrade: checked in; the rollback guard is cancelled",
      );
      await run("systemctl", ["stop", `${r.guardUnit}.timer`], { timeoutMs: 30_000 }).catch(() => undefined);
    }
  }

  /** Aborts when an upgrade is ready, so a waiting long-poll returns and beforePoll runs. */
  interruptSignal(): AbortSignal {
    return this.interrupt.signal;
  }

  /** Starts preparing an ordered upgrade (download, verify, try); the swap waits for beforePoll. */
  accept(order: AgentUpgradeOrder): void {
    if (this.preparing || this.staged || this.record?.id === order.id) return;
    if (!this.deps.verify(order)) return;
    this.preparing = true;
    this.prepare(order)
      .then((ready) => {
        if (ready) {
          this.staged = order;
          this.interrupt.abort();
        }
      })
      .catch((error: Error) => this.finish("failed", `upgrade to ${order.version} failed: ${error.message}`))
      .finally(() => {
        this.preparing = false;
      });
  }

  private refusal(order: AgentUpgradeOrder): string | null {
    const { running, unit, stateDir } = this.deps;
    if (!running)
      return "this agent runs from source; only an installed agent (executable or bundle) upgrades itself";
    if (!unit)
      return "the agent does not run under systemd (container mode, or started by hand), so it cannot restart itself; run a newer agent image, or the install script again";
    const { current } = agentFiles(stateDir, running.format);
    if (running.path !== current)
      return `the agent runs from ${running.path}, not ${current}; run the install script once more (it moves the agent there) to enable upgrades from the dashboard`;
    const sha = running.format === "executable" ? order.executableSha256 : order.bundleSha256;
    if (!sha)
      return running.format === "executable"
        ? `the control plane serves no agent executable for linux-${this.deps.arch}`
        : "the control plane serves no agent bundle";
    return null;
  }

  private async prepare(order: AgentUpgradeOrder): Promise<boolean> {
    const { log } = this.deps;
    const base = {
      id: order.id,
      from: AGENT_VERSION,
      to: order.version,
      format: this.deps.running?.format ?? "executable",
      deadlineSeconds: order.deadlineSeconds,
      at: new Date().toISOString(),
      reported: false,
    } satisfies Partial<UpgradeRecord>;
    if (order.version === AGENT_VERSION) {
      this.record = { ...base, state: "succeeded", detail: `already running ${AGENT_VERSION}` };
      saveRecord(this.recordPath, this.record);
      return false;
    }
    const refusal = this.refusal(order);
    this.record = { ...base, state: refusal ? "failed" : "preparing", detail: refusal ?? undefined };
    saveRecord(this.recordPath, this.record);
    if (refusal) {
      log.warn({ to: order.version }, `upgrade refused: ${refusal}`);
      return false;
    }
    const running = this.deps.running!;
    const files = agentFiles(this.deps.stateDir, running.format);
    const expected = (running.format === "executable" ? order.executableSha256 : order.bundleSha256)!;
    log.info(
      { from: AGENT_VERSION, to: order.version, format: running.format },
      "upgrade: downloading the new agent",
    );
    const arch = this.deps.arch === "arm64" ? "arm64" : "x64";
    const download = await downloadAgentBinary(this.deps.url, arch, {
      format: running.format,
      fetch: this.deps.fetch,
    });
    const hash = createHash("sha256");
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > MAX_DOWNLOAD_BYTES)
          return done(new Error(`the download is larger than ${MAX_DOWNLOAD_BYTES} bytes`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    rmSync(files.staged, { force: true });
    try {
      await pipeline(
        Readable.fromWeb(download.body as import("node:stream/web").ReadableStream),
        meter,
        createWriteStream(files.staged, { mode: 0o700 }),
      );
      const actual = hash.digest("hex");
      if (actual !== expected) {
        throw new Error(
          `the downloaded agent's sha256 is ${actual}, the order expects ${expected} (the control plane's agent build changed since the upgrade was requested; request it again); nothing was changed`,
        );
      }
      // A file that does not even start (wrong architecture, truncated) is refused before the swap.
      const argv = running.format === "executable" ? [files.staged] : [running.node, files.staged];
      const tried = await run(argv[0]!, [...argv.slice(1), "version"], { timeoutMs: 60_000 }).catch(
        (error: Error) => ({ code: -1, stdout: "", stderr: error.message }),
      );
      if (tried.code !== 0 || tried.stdout.trim() !== order.version) {
        throw new Error(
          `the new agent does not run here (\`version\` ${tried.code === 0 ? `printed "${tried.stdout.trim().slice(0, 100)}"` : `exited with ${tried.code}: ${tried.stderr.trim().slice(0, 300)}`}); nothing was changed`,
        );
      }
    } catch (error) {
      rmSync(files.staged, { force: true });
      throw error;
    }
    log.info({ to: order.version, sha256: expected }, "upgrade: verified; swapping once no job runs");
    return true;
  }

  /** Called by the poll loop between jobs: swaps and restarts when an upgrade is staged. */
  async beforePoll(stop: AbortSignal): Promise<void> {
    const order = this.staged;
    if (!order || stop.aborted) return;
    this.staged = null;
    this.interrupt = new AbortController();
    const running = this.deps.running!;
    const unit = this.deps.unit!;
    const files = agentFiles(this.deps.stateDir, running.format);
    const guardUnit = `capstan-agent-upgrade-${order.id.slice(0, 8)}`;
    this.record = { ...this.record!, state: "in-progress", unit, guardUnit, at: new Date().toISOString() };
    saveRecord(this.recordPath, this.record);
    rmSync(files.previous, { force: true });
    linkSync(files.current, files.previous);
    const guard = running.format === "executable" ? [files.previous] : [running.node, files.previous];
    const scheduled = await run(
      "systemd-run",
      [
        `--unit=${guardUnit}`,
        `--on-active=${order.deadlineSeconds}s`,
        "--timer-property=AccuracySec=1s",
        "--collect",
        "--quiet",
        "--",
        ...guard,
        "upgrade-guard",
        this.deps.stateDir,
      ],
      { timeoutMs: 30_000 },
    ).catch((error: Error) => ({ code: -1, stdout: "", stderr: error.message }));
    if (scheduled.code !== 0) {
      rmSync(files.staged, { force: true });
      this.finish(
        "failed",
        `could not schedule the rollback guard (systemd-run: ${scheduled.stderr.trim().slice(0, 300)}); nothing was changed`,
      );
      return;
    }
    renameSync(files.staged, files.current);
    this.deps.log.info(
      { from: AGENT_VERSION, to: order.version, guard: guardUnit, deadlineSeconds: order.deadlineSeconds },
      "upgrade: new agent installed; restarting through systemd",
    );
    const restarted = await run("systemctl", ["--no-block", "restart", unit], { timeoutMs: 30_000 }).catch(
      (error: Error) => ({ code: -1, stdout: "", stderr: error.message }),
    );
    if (restarted.code !== 0) {
      renameSync(files.previous, files.current);
      await run("systemctl", ["stop", `${guardUnit}.timer`], { timeoutMs: 30_000 }).catch(() => undefined);
      this.finish(
        "failed",
        `systemctl restart ${unit} failed (${restarted.stderr.trim().slice(0, 300)}); the previous agent was put back`,
      );
      return;
    }
    // systemd now stops us (SIGTERM, which may already have come while systemctl returned): wait
    // for it rather than polling for more work.
    await pause(2 ** 31 - 1, stop);
  }

  private finish(state: "failed" | "rolled-back", detail: string): void {
    if (!this.record) return;
    this.deps.log.warn({ to: this.record.to }, `upgrade ${state}: ${detail}`);
    this.record = { ...this.record, state, detail, reported: false, at: new Date().toISOString() };
    saveRecord(this.recordPath, this.record);
  }
}

/**
 * `capstan-agent upgrade-guard STATE_DIR`, run by the transient timer with the previous build:
 * if the new version has not checked in, put the previous build back and restart the unit.
 */
export async function runUpgradeGuard(stateDir: string): Promise<number> {
  const say = (message: string) => console.log(`capstan-agent upgrade-guard: ${message}`);
  if (!stateDir.startsWith("/")) {
    console.error("usage: capstan-agent upgrade-guard STATE_DIR (an absolute path)");
    return 64;
  }
  const recordPath = upgradeRecordPath(stateDir);
  const record = loadUpgradeRecord(recordPath);
  if (record?.state !== "in-progress") {
    say(
      `nothing to do (${record ? `the upgrade to ${record.to} is ${record.state}` : "no upgrade on record"})`,
    );
    return 0;
  }
  const files = agentFiles(stateDir, record.format);
  let detail = `version ${record.to} did not check in within ${record.deadlineSeconds} s; version ${record.from} was restored`;
  try {
    renameSync(files.previous, files.current);
  } catch (error) {
    detail = `version ${record.to} did not check in within ${record.deadlineSeconds} s, and restoring ${record.from} failed: ${(error as Error).message}`;
  }
  saveRecord(recordPath, {
    ...record,
    state: "rolled-back",
    detail,
    reported: false,
    at: new Date().toISOString(),
  });
  say(detail);
  if (!record.unit || !UNIT_PATTERN.test(record.unit)) return 1;
  const restarted = await run("systemctl", ["--no-block", "restart", record.unit], { timeoutMs: 30_000 });
  if (restarted.code !== 0) {
    console.error(
      `capstan-agent upgrade-guard: systemctl restart ${record.unit} failed: ${restarted.stderr.trim()}`,
    );
    return 1;
  }
  return 0;
}
