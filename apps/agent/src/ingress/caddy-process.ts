// Starts Caddy (Debian's `caddy` package) with nothing but its admin socket; every route arrives
// later through `POST /load`. On a systemd host it runs as the `capstan-ingress.service` unit
// (the agent writes it; see docs/user/domains.md); elsewhere, and in tests, as a child of this process.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../state";
import { adminConfig, type CaddyAdmin, caddyAdmin } from "./caddy-admin";
import { tlsLogging } from "./certificate-state";

export interface CaddyPaths {
  /** <state>/ingress: the admin socket, the bootstrap config, Caddy's certificates and keys. */
  dir: string;
  socket: string;
  bootstrap: string;
  storage: string;
  /** Caddy's JSON log of certificate issuance (certificate-state.ts reads it). */
  tlsLog: string;
}

export function caddyPaths(dir: string): CaddyPaths {
  return {
    dir,
    socket: join(dir, "admin.sock"),
    bootstrap: join(dir, "bootstrap.json"),
    storage: join(dir, "data"),
    tlsLog: join(dir, "tls.log"),
  };
}

/** The config Caddy starts with: its admin socket and where it keeps certificates; no sites. */
export function writeBootstrapConfig(paths: CaddyPaths): void {
  mkdirSync(paths.storage, { recursive: true, mode: 0o700 });
  const config = {
    admin: adminConfig(paths.socket),
    storage: { module: "file_system", root: paths.storage },
    logging: tlsLogging(paths.tlsLog),
  };
  writeFileAtomic(paths.bootstrap, `${JSON.stringify(config, null, 2)}\n`, 0o600);
}

/** Caddy's own environment: no agent secrets, its XDG folders inside the ingress folder. */
export function caddyEnv(paths: CaddyPaths): Record<string, string> {
  return {
    PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: paths.dir,
    XDG_CONFIG_HOME: join(paths.dir, "config"),
    XDG_DATA_HOME: paths.storage,
  };
}

export async function waitForAdmin(
  admin: CaddyAdmin,
  signal: AbortSignal,
  deadlineMs = 60_000,
): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!(await admin.reachable())) {
    signal.throwIfAborted();
    if (Date.now() > until) throw new Error("Caddy's admin socket did not come up");
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface CaddyChild {
  admin: CaddyAdmin;
  output: () => string;
  stop: () => Promise<void>;
}

/** Caddy as a child process; it stops when `stop` is called (or this process exits). */
export async function startCaddyChild(
  paths: CaddyPaths,
  signal: AbortSignal,
  caddy = "/usr/bin/caddy",
): Promise<CaddyChild> {
  writeBootstrapConfig(paths);
  const child = spawn(caddy, ["run", "--resume", "--config", paths.bootstrap], {
    env: caddyEnv(paths) as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (c: Buffer) => {
    output = (output + c.toString("utf8")).slice(-200_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const admin = caddyAdmin(paths.socket);
  try {
    await Promise.race([
      waitForAdmin(admin, signal),
      exited.then(() => {
        throw new Error(`caddy exited at start: ${output.slice(-600)}`);
      }),
    ]);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    admin,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
