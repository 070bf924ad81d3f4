// Runs fixed programs with argument arrays (never a shell), bounded in time and output, abortable.
import { execFile, spawn } from "node:child_process";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
}

export class CommandError extends Error {
  override name = "CommandError";
  constructor(
    readonly program: string,
    readonly args: readonly string[],
    readonly result: RunResult,
  ) {
    super(
      `\`${[program, ...args].join(" ")}\` exited with ${result.code}: ${tail(result.stderr || result.stdout)}`,
    );
  }
}

export function tail(text: string, max = 600): string {
  const t = text.trim();
  return t.length > max ? `...${t.slice(-max)}` : t;
}

/** Resolves with the exit code even when it is non-zero; rejects only when it cannot start. */
export function run(program: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      program,
      args,
      {
        cwd: options.cwd,
        env: options.env,
        signal: options.signal,
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 8 * 1024 * 1024,
        encoding: "utf8",
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        if (error && typeof (error as NodeJS.ErrnoException).code === "string") {
          const e = error as NodeJS.ErrnoException;
          if (e.code === "ENOENT" || e.code === "EACCES" || e.name === "AbortError") return reject(error);
        }
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Like run, but a non-zero exit throws CommandError. */
export async function runChecked(
  program: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const result = await run(program, args, options);
  if (result.code !== 0) throw new CommandError(program, args, result);
  return result;
}

export interface StreamOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Cancels the command (the job's abort signal). */
  signal: AbortSignal;
  /** Epoch ms by which the command must be over (the step's deadline). */
  deadline: number;
  /** Where output lines go (the deploy log), each prefixed with `${prefix}: `. */
  log: (level: "info" | "warn", message: string) => void;
  prefix: string;
  /** Names the command in errors ("nix build"). */
  label: string;
  /** Streams stdout too; by default stdout is collected and returned (nix prints JSON there). */
  streamStdout?: boolean;
}

const MAX_LOG_LINES = 2000;
const MAX_LINE = 1000;

/**
 * Runs a long command (a build) with its output streamed line by line into the deploy log,
 * bounded by the step's deadline and cancellable; resolves with the collected stdout.
 */
export function runStreaming(
  program: string,
  args: readonly string[],
  options: StreamOptions,
): Promise<string> {
  const { label, log, prefix } = options;
  const left = options.deadline - Date.now();
  if (left <= 0) return Promise.reject(new Error(`${label}: the step's deadline has passed`));
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(left)]);
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      env: options.env,
      cwd: options.cwd,
      signal,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let lines = 0;
    const recent: string[] = [];
    const emit = (line: string) => {
      const clean = line.replace(/\p{Cc}/gu, "").slice(0, MAX_LINE);
      if (!clean.trim()) return;
      recent.push(clean);
      if (recent.length > 5) recent.shift();
      if (++lines <= MAX_LOG_LINES) log("info", `${prefix}: ${clean}`);
      else if (lines === MAX_LOG_LINES + 1) log("warn", `${prefix}: further output is not logged`);
    };
    const partial = { stdout: "", stderr: "" };
    const split = (stream: "stdout" | "stderr") => (chunk: string) => {
      const parts = (partial[stream] + chunk).split(/\r?\n|\r/);
      partial[stream] = parts.pop() ?? "";
      for (const line of parts) emit(line);
    };
    if (options.streamStdout) child.stdout.setEncoding("utf8").on("data", split("stdout"));
    else
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        if (stdout.length < 1024 * 1024) stdout += chunk;
      });
    child.stderr.setEncoding("utf8").on("data", split("stderr"));
    child.once("error", (error) => {
      if (error.name !== "AbortError") return reject(new Error(`${label} could not run: ${error.message}`));
      reject(
        new Error(
          options.signal.aborted ? `${label} was cancelled` : `${label} stopped: the step's deadline passed`,
        ),
      );
    });
    child.once("close", (code) => {
      emit(partial.stdout);
      emit(partial.stderr);
      if (signal.aborted) return; // the error handler above explains it
      if (code === 0) resolve(stdout);
      else reject(new Error(`${label} exited with ${code}: ${tail(recent.join("\n"))}`));
    });
  });
}

/** Runs a command (systemctl) with every output line in the deploy log, within `timeoutMs`. */
export async function runLogged(
  program: string,
  args: readonly string[],
  ctx: Pick<StreamOptions, "signal" | "log">,
  timeoutMs = 120_000,
): Promise<void> {
  const label = [program, ...args].join(" ");
  const deadline = Date.now() + timeoutMs;
  await runStreaming(program, args, { ...ctx, deadline, prefix: program, label, streamStdout: true });
}
