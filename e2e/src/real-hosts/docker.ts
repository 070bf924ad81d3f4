// The docker CLI through execFile with argument arrays, for the real-host helpers.
import { execFile } from "node:child_process";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `docker ...args`; never throws, the caller decides what a non-zero exit means. */
export function docker(args: string[], timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile("docker", args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

export async function dockerOk(args: string[], timeoutMs?: number): Promise<string> {
  const result = await docker(args, timeoutMs);
  if (result.code !== 0)
    throw new Error(`docker ${args[0]} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

/** Removes every container of a Compose project and its default network. */
export async function removeComposeProject(project: string): Promise<void> {
  const ids = (await docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`])).stdout
    .split("\n")
    .filter(Boolean);
  if (ids.length) await docker(["rm", "-f", "-v", ...ids]);
  await docker(["network", "rm", `${project}_default`]);
}

/** Polls `fn` until it returns a truthy value; the error names what was awaited. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}
