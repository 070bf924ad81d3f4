// What the systemd and Nix runtimes share about a unit that is installed: its settled state, its
// journal, a reload, its removal, and commands (health checks, one-offs) in a transient unit
// with its user and sandbox.
import { readFileSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { type HealthCheck, hardeningSchema } from "@capstan/templates";
import { run, runChecked } from "../exec";
import { type CheckResult, COMMAND_CHECK_TIMEOUT_MS, runHealthChecks } from "../health";
import { cleanLines } from "./container-logs";
import type { Probe } from "./types";

/** Unit settings a command check takes from its service: who it runs as, and its sandbox. */
export const SANDBOX_SETTINGS = new Set([
  ...Object.keys(hardeningSchema.shape).filter((key) => key !== "profile"),
  "User",
  "DynamicUser",
  "SystemCallErrorNumber",
  "CPUQuota",
  "MemoryMax",
  "TasksMax",
]);

/** A scheduled task also runs in the service's folder with its environment. */
export const TASK_SETTINGS = new Set([...SANDBOX_SETTINGS, "EnvironmentFile", "WorkingDirectory"]);

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

/** An installed unit's health: its settled state, then the declared checks in its sandbox. */
export async function probeUnit(
  unit: string,
  unitPath: string,
  checks: readonly HealthCheck[],
  signal?: AbortSignal,
): Promise<Probe> {
  const state = await settledUnitState(unit, signal);
  if (state !== "active") {
    const stopped = state === "inactive" || state === "failed" || state === "unknown";
    const status = stopped ? "STOPPED" : state === "activating" ? "STARTING" : "UNHEALTHY";
    return { status, detail: `${unit} is ${state}` };
  }
  const sandbox = (argv: readonly string[], s?: AbortSignal) => runInUnitSandbox(unitPath, argv, s);
  const declared = await runHealthChecks(checks, sandbox, signal);
  return declared.ok
    ? { status: "HEALTHY", detail: `${unit} is active` }
    : { status: "UNHEALTHY", detail: declared.detail };
}
