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
