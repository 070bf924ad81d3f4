// Runs fixed programs with argument arrays (never a shell), bounded in time and output, abortable.
import { execFile } from "node:child_process";

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
      `${program} ${args.slice(0, 3).join(" ")} exited with ${result.code}: ${tail(result.stderr || result.stdout)}`,
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
