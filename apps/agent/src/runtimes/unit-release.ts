// The systemd/Nix side of release commands: a transient unit (`systemd-run --wait --pipe`) with
// the new release's user, sandbox, environment file and working directory, never the agent's.
import { randomBytes } from "node:crypto";
import type { ReleaseCommand } from "@capstan/templates";
import { run } from "../exec";
import { type ReleaseInvocation, releaseTimeoutMs, runReleaseCommand } from "./release-command";
import type { StepContext } from "./types";

export interface UnitRelease {
  /** The unit name people know (capstan-<workflow>-<service>.service), for names and the log. */
  unit: string;
  release: ReleaseCommand;
  /** The new release's saved unit text: its EnvironmentFile= and WorkingDirectory= are used. */
  unitText: string;
  /** `--property` arguments with the unit's user and hardening (systemd.ts sandboxProperties). */
  sandbox: string[];
  /** argv with the program resolved to an absolute path in the new release. */
  argv: string[];
  /** The `current` link's path and the new release's folder: paths under `current` mean the new release. */
  current?: { link: string; release: string };
}

function unitSetting(unitText: string, key: string): string | undefined {
  const match = new RegExp(`^${key}=(.*)$`, "m").exec(unitText);
  // Unit files escape % as %%; properties on the command line are taken literally.
  return match?.[1]?.replace(/%%/g, "%");
}

/** `current/...` points at the running release until activation; the command needs the new one. */
function inNewRelease(path: string, current: UnitRelease["current"]): string {
  if (!current) return path;
  if (path === current.link) return current.release;
  return path.startsWith(`${current.link}/`) ? current.release + path.slice(current.link.length) : path;
}

/**
 * systemd-run for a command in a unit's context: its EnvironmentFile= and WorkingDirectory=, user
 * and sandbox, stopped by systemd itself after `timeoutSeconds` should the agent die meanwhile.
 */
export function unitInvocation(
  input: Omit<UnitRelease, "release">,
  kind: "release" | "run",
  timeoutSeconds: number,
): ReleaseInvocation {
  const name = `${input.unit.replace(/\.service$/, "")}-${kind}-${randomBytes(6).toString("hex")}.service`;
  const properties: string[] = [];
  const env = unitSetting(input.unitText, "EnvironmentFile");
  if (env) properties.push(`EnvironmentFile=${inNewRelease(env, input.current)}`);
  const wd = unitSetting(input.unitText, "WorkingDirectory");
  if (wd) properties.push(`WorkingDirectory=${inNewRelease(wd, input.current)}`);
  properties.push(`RuntimeMaxSec=${Math.max(1, Math.ceil(timeoutSeconds))}`);
  // As activation does for the service itself (systemd.ts): a program probing a syscall outside
  // the filter gets EPERM instead of being killed with SIGSYS (Node does that on these hosts).
  if (
    input.sandbox.some((p) => p.startsWith("SystemCallFilter=")) &&
    !input.sandbox.some((p) => p.startsWith("SystemCallErrorNumber="))
  )
    properties.push("SystemCallErrorNumber=EPERM");
  const args = ["--wait", "--pipe", "--quiet", "--collect", "--unit", name];
  args.push(...properties.flatMap((p) => ["--property", p]), ...input.sandbox, "--", ...input.argv);
  return {
    program: "systemd-run",
    args,
    kill: async () => {
      await run("systemctl", ["stop", name], { timeoutMs: 60_000 });
    },
  };
}

export async function runUnitRelease(input: UnitRelease, ctx: StepContext): Promise<void> {
  const timeout = releaseTimeoutMs(input.release, ctx) / 1000;
  await runReleaseCommand(input.unit, input.release, unitInvocation(input, "release", timeout), ctx);
}
