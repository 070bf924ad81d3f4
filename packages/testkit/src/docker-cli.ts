// The docker CLI through execFile with argument arrays, for whole-system tests (e2e and apps/web),
// and the polling helper they share.
import { execFile } from "node:child_process";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `program` with `args`; never throws, the caller decides what a non-zero exit means. */
export function runProgram(
  program: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      program,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** `docker ...args`; never throws. */
export function docker(args: string[], timeoutMs?: number): Promise<RunResult> {
  return runProgram("docker", args, { timeoutMs });
}

export async function dockerOk(args: string[], timeoutMs?: number): Promise<string> {
  const result = await docker(args, timeoutMs);
  if (result.code !== 0)
    throw new Error(`docker ${args[0]} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

/** Ids of the containers of a Compose project (all of them with `all`, else the running ones). */
export async function composeContainers(project: string, all = false): Promise<string[]> {
  const args = [
    "ps",
    "-q",
    ...(all ? ["-a"] : []),
    "--filter",
    `label=com.docker.compose.project=${project}`,
  ];
  return (await dockerOk(args)).split("\n").filter(Boolean);
}

/** Removes every container of a Compose project and its default network. */
export async function removeComposeProject(project: string): Promise<void> {
  const ids = await composeContainers(project, true).catch(() => []);
  if (ids.length) await docker(["rm", "-f", "-v", ...ids]);
  await docker(["network", "rm", `${project}_default`]);
}

/** Polls `fn` until it returns a truthy value; the error names what was awaited and `context()`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; context?: () => string } = {},
): Promise<T> {
  const end = Date.now() + (options.timeoutMs ?? 60_000);
  let last: unknown;
  while (Date.now() < end) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
  const reason = last ? `: ${(last as Error).message}` : "";
  const context = options.context ? `\n${options.context()}` : "";
  throw new Error(`timed out waiting for ${what}${reason}${context}`);
}
