// Release commands (`release: {command: [...]}`): run once per deployment in the new release
// before it is activated, typically database migrations. Never as the agent: Compose runs a
// one-off container of the service from the new release's compose file; systemd and Nix run a
// transient unit with the new release's user, hardening, environment and working directory.
// Output streams into the deploy log; a non-zero exit, the timeout or a cancel fails the step
// before anything that runs now has changed.
import { spawn } from "node:child_process";
import type { ReleaseCommand } from "@capstan/templates";
import type { StepContext } from "./types";

const MAX_LOG_LINES = 2000;
const MAX_LINE = 1000;
/** Output lines quoted in the step's failure message. */
const FAILURE_LINES = 10;

export interface ReleaseInvocation {
  program: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stderr lines that are the client's own progress, not the command's output: left out. */
  chatter?: RegExp;
  /** Stops what the command started (a container, a transient unit) when it is cut short. */
  kill: () => Promise<void>;
}

/** The time the command may take: its own timeout, cut to what is left of the step. */
export function releaseTimeoutMs(release: ReleaseCommand, ctx: StepContext): number {
  return Math.min(release.timeout * 1000, ctx.deadline - Date.now());
}

export interface StreamedCommand {
  /** The exit code, or null when it was stopped (timeout, cancel). */
  code: number | null;
  /** Why it was stopped: "timeout" or "cancelled". */
  stopped?: string;
  /** The last output lines, for a failure message. */
  recent: string[];
}

/**
 * Runs a command in the service's context (release command, one-off command), streaming stdout
 * and stderr line by line into the log (bounded, each line prefixed), stopping it and what it
 * started when `timeoutMs` passes or the step is cancelled.
 */
export async function streamCommand(
  invocation: ReleaseInvocation,
  timeoutMs: number,
  prefix: string,
  ctx: StepContext,
): Promise<StreamedCommand> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(new Error("timeout")), timeoutMs);
  const onCancel = () => stop.abort(new Error("cancelled"));
  ctx.signal.addEventListener("abort", onCancel, { once: true });
  if (ctx.signal.aborted) onCancel();
  const recent: string[] = [];
  let lines = 0;
  const emit = (line: string) => {
    const clean = line.replace(/\p{Cc}/gu, "").slice(0, MAX_LINE);
    if (!clean.trim()) return;
    recent.push(clean);
    if (recent.length > FAILURE_LINES) recent.shift();
    if (++lines <= MAX_LOG_LINES) ctx.log("info", `${prefix}: ${clean}`);
    else if (lines === MAX_LOG_LINES + 1) ctx.log("warn", `${prefix}: further output is not logged`);
  };
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      if (stop.signal.aborted) return resolve(null);
      const child = spawn(invocation.program, invocation.args, {
        cwd: invocation.cwd,
        env: invocation.env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      const partial = { stdout: "", stderr: "" };
      for (const stream of ["stdout", "stderr"] as const) {
        child[stream].setEncoding("utf8").on("data", (chunk: string) => {
          const parts = (partial[stream] + chunk).split("\n");
          partial[stream] = parts.pop() ?? "";
          for (const line of parts)
            if (stream === "stdout" || !invocation.chatter?.test(line.replace(/\p{Cc}/gu, ""))) emit(line);
        });
      }
      let killed: Promise<void> | undefined;
      const onStop = () => {
        child.kill("SIGTERM");
        // The client going away does not stop what it started (a container, a unit).
        killed = invocation.kill().catch(() => undefined);
        setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
      };
      stop.signal.addEventListener("abort", onStop, { once: true });
      child.once("error", (error) => reject(new Error(`the command could not start: ${error.message}`)));
      child.once("close", (exit) => {
        stop.signal.removeEventListener("abort", onStop);
        emit(partial.stdout);
        emit(partial.stderr);
        void Promise.resolve(killed).then(() => resolve(exit));
      });
    });
    const stopped = stop.signal.aborted ? (stop.signal.reason as Error | undefined)?.message : undefined;
    return { code: stopped ? null : code, ...(stopped ? { stopped } : {}), recent };
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener("abort", onCancel);
  }
}

/**
 * Runs a release command, streaming its output into the deploy log, and throws a message with the
 * exit code and the last lines when it fails.
 */
export async function runReleaseCommand(
  label: string,
  release: ReleaseCommand,
  invocation: ReleaseInvocation,
  ctx: StepContext,
): Promise<void> {
  const timeoutMs = releaseTimeoutMs(release, ctx);
  if (timeoutMs <= 0) throw new Error(`release command of ${label}: the step's deadline has passed`);
  const program = release.command[0]!;
  ctx.log("info", `release: running ${program} for ${label} (timeout ${Math.round(timeoutMs / 1000)}s)`);
  const { code, stopped, recent } = await streamCommand(invocation, timeoutMs, "release", ctx).catch(
    (error: Error) => {
      throw new Error(
        `release command could not start: ${error.message.replace(/^the command could not start: /, "")}`,
      );
    },
  );
  if (stopped)
    throw new Error(
      stopped === "timeout"
        ? `release command ${program} of ${label} timed out after ${Math.round(timeoutMs / 1000)}s and was stopped${lastLines(recent)}`
        : `release command ${program} of ${label} was cancelled`,
    );
  if (code !== 0)
    throw new Error(`release command ${program} of ${label} exited with ${code}${lastLines(recent)}`);
  ctx.log("info", `release: ${program} exited 0`);
}

function lastLines(recent: readonly string[]): string {
  return recent.length ? `; last output:\n${recent.join("\n")}` : " (no output)";
}
