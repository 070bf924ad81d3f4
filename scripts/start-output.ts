// What `npm start` prints, kept apart from starting things so it can be tested: the banner, and
// build steps that stay quiet unless they fail.
import { spawn } from "node:child_process";

/** The lines shown once the control plane answers: where it is, the setup code, how to stop. */
export function startBanner(options: { url: string; setupCode: string | null; startedIn: string }): string[] {
  const rule = "=".repeat(72);
  const lines = [rule, `Capstan is running at ${options.url}  (ready in ${options.startedIn})`];
  if (options.setupCode) {
    lines.push(
      `First run: open ${options.url}/setup`,
      `           and enter the setup code   ${options.setupCode}   (it works once)`,
    );
  } else {
    lines.push(`Sign in at ${options.url}/signin`);
  }
  lines.push("Stop: Ctrl+C stops the control plane, its database and the local agent.", rule);
  return lines;
}

/**
 * Runs a step with its output held back: a build that works has nothing to say, one that fails
 * shows everything it printed. Rejects with the command and exit code.
 */
export function runQuietly(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...options.env },
    });
    const output: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) return resolve();
      process.stderr.write(Buffer.concat(output));
      reject(new Error(`${[command, ...args].join(" ")} exited with ${code}`));
    });
  });
}
