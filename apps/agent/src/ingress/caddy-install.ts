// The agent installs Caddy itself the first time a host needs a route: Debian's `caddy` package
// through apt-get, when it runs as root. It never downgrades: a Caddy older than what Capstan
// needs is upgraded through apt (`--only-upgrade`), anything newer is left alone, and later
// upgrades come with the host's OS updates. Without root or apt the deploy fails saying what to run.
import { existsSync } from "node:fs";
import { run, runStreaming } from "../exec";

/** The oldest Caddy the ingress is tested with (Debian bookworm's); older ones are upgraded. */
export const MIN_CADDY_VERSION = "2.6.2";
/** Where Debian's package puts it: the only path the agent installs to. */
export const PACKAGE_CADDY = "/usr/bin/caddy";

export type InstallLog = (level: "info" | "warn", message: string) => void;

export interface CaddyHost {
  /** The configured program (CAPSTAN_CADDY). */
  caddy: string;
  installed: boolean;
  /** `caddy version`, when installed. */
  version: string | null;
  root: boolean;
  apt: boolean;
}

export type CaddyPlan =
  | { action: "ok" }
  | { action: "install" }
  | { action: "upgrade" }
  | { action: "fail"; message: string };

/** Major, minor, patch of `2.6.2` or `v2.7.6 h1:...`; null when it is not a version. */
export function parseCaddyVersion(text: string): [number, number, number] | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

export function isOlderThanMinimum(version: string): boolean {
  const have = parseCaddyVersion(version);
  const need = parseCaddyVersion(MIN_CADDY_VERSION)!;
  if (!have) return false; // a custom build that prints something else: trust it
  for (let i = 0; i < 3; i++) if (have[i] !== need[i]) return have[i]! < need[i]!;
  return false;
}

const INSTALL_HINT = "sudo apt-get install caddy";

/** What to do about Caddy on this host (pure: tests cover every case). */
export function planCaddy(host: CaddyHost): CaddyPlan {
  const old = host.installed && host.version !== null && isOlderThanMinimum(host.version);
  if (host.installed && !old) return { action: "ok" };
  const what = host.installed
    ? `Caddy ${host.version} at ${host.caddy} is older than ${MIN_CADDY_VERSION}, which Capstan needs`
    : `Caddy is not installed at ${host.caddy}`;
  if (host.caddy !== PACKAGE_CADDY)
    return {
      action: "fail",
      message: `${what} (CAPSTAN_CADDY): install Caddy ${MIN_CADDY_VERSION} or newer there, or remove CAPSTAN_CADDY from the agent's settings so the agent installs Debian's caddy package`,
    };
  if (!host.apt)
    return {
      action: "fail",
      message: `${what}, and this host has no apt-get: install Caddy ${MIN_CADDY_VERSION} or newer at ${PACKAGE_CADDY} (or set CAPSTAN_CADDY to where it is), then deploy again`,
    };
  if (!host.root)
    return {
      action: "fail",
      message: `${what}, and the agent does not run as root, so it cannot install it: run \`${host.installed ? "sudo apt-get install --only-upgrade caddy" : INSTALL_HINT}\` on the host, then deploy again`,
    };
  return { action: host.installed ? "upgrade" : "install" };
}

export interface CaddyInstaller {
  /** Makes sure a usable Caddy is there, installing or upgrading it; throws saying what to run. */
  ensure(signal: AbortSignal, log?: InstallLog): Promise<void>;
}

const APT_ENV: Record<string, string> = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  DEBIAN_FRONTEND: "noninteractive",
};
/** Waits for unattended-upgrades or an admin's apt run instead of failing on the dpkg lock. */
const LOCK_WAIT = ["-o", "DPkg::Lock::Timeout=300"];
const APT_TIMEOUT_MS = 15 * 60_000;

export function caddyInstaller(caddy: string): CaddyInstaller {
  const apt = "/usr/bin/apt-get";
  const root = process.getuid?.() === 0;
  const systemd = existsSync("/run/systemd/system");
  let checked = false;

  const version = async (): Promise<string | null> => {
    const r = await run(caddy, ["version"], { timeoutMs: 30_000 }).catch(() => null);
    return r && r.code === 0 ? r.stdout.trim() : null;
  };
  const look = async (): Promise<CaddyHost> => {
    const installed = existsSync(caddy);
    return {
      caddy,
      installed,
      version: installed ? await version() : null,
      root,
      apt: existsSync(apt),
    };
  };
  const aptGet = (args: string[], signal: AbortSignal, log: InstallLog) =>
    runStreaming(apt, [...LOCK_WAIT, ...args], {
      env: APT_ENV as NodeJS.ProcessEnv,
      signal,
      deadline: Date.now() + APT_TIMEOUT_MS,
      log,
      prefix: "apt-get",
      label: `apt-get ${args.join(" ")}`,
      streamStdout: true,
    });

  return {
    async ensure(signal, log = () => {}) {
      if (checked && existsSync(caddy)) return;
      const plan = planCaddy(await look());
      if (plan.action === "fail") throw new Error(plan.message);
      if (plan.action !== "ok") {
        log(
          "info",
          `${plan.action === "install" ? "installing" : "upgrading"} Caddy (Debian's caddy package)`,
        );
        // The package starts its own caddy.service on :80 with a sample Caddyfile; masked first,
        // it never runs (the package only unmasks what it masked itself).
        if (systemd) await run("systemctl", ["mask", "caddy.service"], { timeoutMs: 60_000 });
        try {
          await aptGet(["update"], signal, log);
        } catch (error) {
          // Stale lists may still hold the package: the install says whether they do.
          log("warn", `apt-get update failed (${(error as Error).message}); trying the install anyway`);
        }
        await aptGet(
          plan.action === "install"
            ? ["install", "-y", "--no-install-recommends", "caddy"]
            : ["install", "-y", "--no-install-recommends", "--only-upgrade", "caddy"],
          signal,
          log,
        );
        const after = await look();
        if (!after.installed) throw new Error(`apt-get installed caddy, but ${caddy} is not there`);
        if (after.version && isOlderThanMinimum(after.version))
          throw new Error(
            `Caddy ${after.version} is still older than ${MIN_CADDY_VERSION} after apt-get: this host's apt sources have no newer caddy package; install Caddy ${MIN_CADDY_VERSION} or newer by hand`,
          );
        log("info", `Caddy ${after.version ?? "(unknown version)"} is installed at ${caddy}`);
      }
      checked = true;
    },
  };
}
