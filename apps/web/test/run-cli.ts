// Test-only: runs the real `capstan` CLI (apps/cli/bin/capstan.js) as a child process.
import { execFile } from "node:child_process";
import { join } from "node:path";

const CLI = join(import.meta.dirname, "../../cli/bin/capstan.js");

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string>, cwd?: string): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { NODE_ENV: "test", PATH: process.env.PATH ?? "", ...env }, timeout: 90_000, cwd },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 99) : 0;
        resolve({ code: typeof code === "number" ? code : 99, stdout, stderr });
      },
    );
  });
}
