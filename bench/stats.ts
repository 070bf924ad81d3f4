import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux
const PAGE_KB = 4;

/** CPU seconds (user + system) and RSS of a process and all its descendants, from /proc. */
export function processTreeUsage(rootPid: number): { cpuSeconds: number; rssMb: number } {
  const stats = new Map<number, { ppid: number; ticks: number; rssPages: number }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the command name (which may contain spaces) start after the last ')'.
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
      stats.set(Number(entry), {
        ppid: Number(fields[1]),
        ticks: Number(fields[11]) + Number(fields[12]),
        rssPages: Number(fields[21]),
      });
    } catch {
      // the process ended while we looked
    }
  }
  const tree = new Set([rootPid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, s] of stats) {
      if (!tree.has(pid) && tree.has(s.ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  let ticks = 0;
  let pages = 0;
  for (const pid of tree) {
    const s = stats.get(pid);
    if (s) {
      ticks += s.ticks;
      pages += s.rssPages;
    }
  }
  return { cpuSeconds: ticks / TICKS_PER_SECOND, rssMb: (pages * PAGE_KB) / 1024 };
}

/** CPU seconds and RSS summed over several process trees (e.g. every control-plane replica's). */
export function processTreesUsage(pids: number[]): { cpuSeconds: number; rssMb: number } {
  const usages = pids.map((pid) => processTreeUsage(pid));
  return {
    cpuSeconds: usages.reduce((sum, u) => sum + u.cpuSeconds, 0),
    rssMb: usages.reduce((sum, u) => sum + u.rssMb, 0),
  };
}

/**
 * Every simulated agent holds two sockets (its poll and its heartbeat) and so does the server for
 * it: 10,000 agents hit this machine's default of 20,000 open files (EMFILE, seen as "fetch
 * failed" in the first runs). Raises this process's limit, which the servers inherit.
 */
export function raiseOpenFilesLimit(needed: number, what: string): void {
  const limits = readFileSync("/proc/self/limits", "utf8");
  const current = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1] ?? Number.POSITIVE_INFINITY);
  if (current >= needed) return;
  try {
    execFileSync("prlimit", ["--pid", String(process.pid), `--nofile=${needed}:${needed}`], {
      stdio: "pipe",
    });
    console.error(`[bench] open files limit raised from ${current} to ${needed}`);
  } catch (error) {
    throw new Error(
      `${what} need ${needed} open files in this process, the limit is ${current} and prlimit could not raise it (${(error as Error).message.trim().split("\n")[0]}). Raise the hard limit (as root with CAP_SYS_RESOURCE: \`ulimit -n ${needed}\`) or run fewer agents.`,
    );
  }
}
