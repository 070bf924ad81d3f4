// Helpers for tests that check rendered files with the real tools.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
) {
  try {
    const { stdout, stderr } = await execFileAsync(cmd, args, {
      ...options,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr } satisfies RunResult;
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** Runs tasks with at most `limit` at once (docker-compose costs ~0.5 s of Python start-up). */
export async function inBatches<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  });
  await Promise.all(workers);
  return results;
}

const created: string[] = [];

/** Removes every folder tempDir() made in this test file; call it from afterAll. */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function tempDir(prefix = "capstan-templates-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** A clean environment so a variable of the test runner cannot leak into compose interpolation. */
export function cleanEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", LANG: "C.UTF-8" };
}

/** Strings that try to break out of every kind of quoting the renderers use. */
export const INJECTION_CORPUS: string[] = [
  "$(touch /tmp/capstan-injected)",
  "`touch /tmp/capstan-injected`",
  "a; touch /tmp/capstan-injected",
  "a | touch /tmp/capstan-injected",
  "a && b || c",
  "%s %n %h %%",
  "100% done",
  "\"double\" 'single' `back`",
  "'",
  '"',
  "\\",
  "ends with backslash\\",
  "../../etc/passwd",
  "--help",
  "-rf",
  "${HOME} $HOME $$ ${X:-y} $",
  "\\${HOME}",
  "# not a comment",
  "key=value",
  "tab\there",
  "  leading and trailing spaces  ",
  "unicode: żółć ✓ 日本",
  "",
  "[Service]",
  "ExecStartPre=/bin/sh -c 'touch /tmp/capstan-injected'",
];

/** Values that must be refused, never rendered. */
export const REFUSED_CORPUS: string[] = [
  "line\nExecStartPre=/bin/touch /tmp/capstan-injected",
  "cr\rx",
  "nul\0x",
];
