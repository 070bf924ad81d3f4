// Shared helpers for the agent's tests against real components.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../src/log";

export const silentLog = createLogger("silent");

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `capstan-agent-${prefix}-`));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** A unique, pattern-safe suffix for names of containers, projects and workflows. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export function docker(args: string[], input?: string): string {
  return execFileSync("docker", args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}

export function removeComposeProject(project: string): void {
  const ids = docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`]).trim();
  if (ids) docker(["rm", "-f", ...ids.split("\n")]);
  try {
    docker(["network", "rm", `${project}_default`]);
  } catch {
    // already gone
  }
}
