// Some hardening directives cannot work on some hosts: SystemCallFilter= needs seccomp filters
// in the kernel (missing on gVisor-like sandboxes), and MemoryDenyWriteExecute= kills JIT
// runtimes such as Node. We find out by starting a tiny transient unit with the directive, and
// drop only the directives that fail, with a warning in the deploy log.
import { basename } from "node:path";
import { run } from "../exec";

/** Directives that depend on kernel features; each is probed with the value the unit asks for. */
export const PROBED_DIRECTIVES = [
  "SystemCallFilter",
  "SystemCallArchitectures",
  "RestrictAddressFamilies",
  "RestrictNamespaces",
  "ProtectProc",
  "ProcSubset",
  "PrivateUsers",
  "ProtectClock",
  "ProtectKernelLogs",
];

/** Runtimes that need writable+executable memory; MemoryDenyWriteExecute= kills them. */
const JIT_RUNTIMES = /^(node|nodejs|bun|deno|java|dotnet|pypy[0-9.]*|luajit|php(-fpm)?[0-9.]*)$/;

const cache = new Map<string, boolean>();

/** True when a transient unit with `directive=value` starts and exits 0 on this host. */
export async function probeDirective(
  directive: string,
  value: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const key = `${directive}=${value}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  let ok = false;
  try {
    const result = await run(
      "systemd-run",
      ["--wait", "--collect", "--quiet", "--pipe", "--property", key, "--", "/bin/true"],
      { signal, timeoutMs: 20_000 },
    );
    ok = result.code === 0;
  } catch {
    ok = false;
  }
  cache.set(key, ok);
  return ok;
}

/** Reads directive names set in a rendered unit's [Service] section. */
function directivesIn(unit: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of unit.split("\n")) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (match) found.set(match[1]!, match[2]!);
  }
  return found;
}

/**
 * Finds the directives of a rendered unit this host cannot apply (the caller re-renders without
 * them) and also returns the unit text with those lines removed.
 */
export async function dropUnsupportedDirectives(
  unit: string,
  signal?: AbortSignal,
): Promise<{ unit: string; dropped: string[] }> {
  const present = directivesIn(unit);
  const dropped: string[] = [];
  for (const directive of PROBED_DIRECTIVES) {
    const value = present.get(directive);
    if (value === undefined || value === "") continue;
    if (!(await probeDirective(directive, value, signal))) dropped.push(directive);
  }
  // A /bin/true probe cannot show this one: it only breaks programs that JIT-compile code.
  const program = /^ExecStart=[-@:+!]*(\S+)/m.exec(unit)?.[1] ?? "";
  if (/^yes$/i.test(present.get("MemoryDenyWriteExecute") ?? "") && JIT_RUNTIMES.test(basename(program))) {
    dropped.push("MemoryDenyWriteExecute");
  }
  if (!dropped.length) return { unit, dropped };
  const pattern = new RegExp(`^(${dropped.join("|")})=`);
  return {
    unit: unit
      .split("\n")
      .filter((line) => !pattern.test(line))
      .join("\n"),
    dropped,
  };
}

export function clearProbeCache(): void {
  cache.clear();
}
