// Resource use of one systemd/Nix unit for heartbeats, from systemd's own cgroup accounting
// (`systemctl show`): memory now, restarts, start time, and CPU % from the CPU time used between
// two heartbeats (systemd only keeps a counter). Where CPU accounting is off (the default on
// many systemd versions), the unit's cgroup v2 `cpu.stat` still counts: the kernel keeps it for
// every cgroup, with or without the cpu controller.
import { readFile } from "node:fs/promises";
import type { ServicePort, ServiceStats } from "@capstan/protocol";
import type { HealthCheck } from "@capstan/templates";
import { run } from "../exec";

/** Runs `systemctl ARGS`; tests point it at a systemd host container. */
export type Systemctl = (args: string[], signal?: AbortSignal) => Promise<{ code: number; stdout: string }>;

export const localSystemctl: Systemctl = (args, signal) =>
  run("systemctl", args, { signal, timeoutMs: 20_000 });

/** Where the unit's numbers come from; tests point both at a systemd host container. */
export interface UnitHost {
  systemctl: Systemctl;
  readFile(path: string): Promise<string>;
}

const localHost: UnitHost = { systemctl: localSystemctl, readFile: (path) => readFile(path, "utf8") };

const PROPERTIES =
  "CPUUsageNSec,MemoryCurrent,NRestarts,ActiveEnterTimestampMonotonic,MainPID,ActiveState,ControlGroup";
/** A cgroup path as systemd prints it; nothing that could climb out of /sys/fs/cgroup. */
const CGROUP_PATH = /^(\/[A-Za-z0-9_.@:\\-]+)+$/;

/** systemd prints "[not set]" or 2^64-1 when accounting is off: no number then. */
function counter(value: string | undefined): bigint | undefined {
  if (!value || !/^\d{1,20}$/.test(value)) return undefined;
  const n = BigInt(value);
  return n >= 18446744073709551615n ? undefined : n;
}

/** Ports the service's health checks name on this host: the ports it declares it listens on. */
export function declaredPorts(checks: readonly HealthCheck[]): ServicePort[] {
  const ports = new Set<number>();
  for (const check of checks) {
    if ("tcp" in check) ports.add(check.tcp.port);
    if ("http" in check) {
      try {
        const url = new URL(check.http.url);
        ports.add(Number(url.port || (url.protocol === "https:" ? 443 : 80)));
      } catch {
        // the schema only lets valid URLs in; nothing to declare otherwise
      }
    }
  }
  return [...ports].sort((a, b) => a - b).map((published) => ({ published, protocol: "tcp" as const }));
}

export class UnitStats {
  /** The CPU counter at the previous heartbeat, per unit and main PID (a restart starts over). */
  private readonly last = new Map<string, { ns: bigint; at: bigint; pid: string }>();

  constructor(private readonly host: UnitHost = localHost) {}

  /** CPU time in ns: systemd's counter, else cgroup v2's cpu.stat (unified or hybrid layout). */
  private async cpuNs(props: Map<string, string>): Promise<bigint | undefined> {
    const counted = counter(props.get("CPUUsageNSec"));
    if (counted !== undefined) return counted;
    const group = props.get("ControlGroup") ?? "";
    if (!CGROUP_PATH.test(group) || group.split("/").includes("..")) return undefined;
    for (const root of ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]) {
      const text = await this.host.readFile(`${root}${group}/cpu.stat`).catch(() => "");
      const usec = /^usage_usec (\d{1,20})$/m.exec(text)?.[1];
      if (usec) return BigInt(usec) * 1000n;
    }
    return undefined;
  }

  async read(unit: string, signal?: AbortSignal): Promise<ServiceStats> {
    const result = await this.host.systemctl(["show", `--property=${PROPERTIES}`, "--", unit], signal);
    const now = process.hrtime.bigint();
    if (result.code !== 0) return {};
    const props = new Map(
      result.stdout
        .split("\n")
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1).trim()]),
    );
    const stats: ServiceStats = {};
    const restarts = counter(props.get("NRestarts"));
    if (restarts !== undefined) stats.restarts = Number(restarts);
    const memory = counter(props.get("MemoryCurrent"));
    if (memory !== undefined) stats.memoryBytes = Number(memory);
    const active = props.get("ActiveState") === "active";
    // Monotonic (the clock of hrtime) rather than the wall clock: no time-zone text to parse.
    const entered = counter(props.get("ActiveEnterTimestampMonotonic"));
    if (active && entered) {
      const upMs = Number(now / 1000n - entered) / 1000;
      if (upMs >= 0) stats.startedAt = new Date(Date.now() - upMs).toISOString();
    }
    const cpu = active ? await this.cpuNs(props) : undefined;
    const pid = props.get("MainPID") ?? "0";
    const previous = this.last.get(unit);
    if (cpu !== undefined && active) {
      this.last.set(unit, { ns: cpu, at: now, pid });
      if (previous && previous.pid === pid && cpu >= previous.ns && now > previous.at)
        stats.cpuPercent = Math.round((Number(cpu - previous.ns) / Number(now - previous.at)) * 10_000) / 100;
    } else this.last.delete(unit);
    return stats;
  }
}

/** What systemd and Nix runtimes report: the unit's accounting, its release and declared ports. */
export async function unitServiceStats(
  stats: UnitStats,
  unit: string,
  release: Promise<string | null>,
  checks: readonly HealthCheck[],
  signal?: AbortSignal,
): Promise<ServiceStats> {
  const [read, current] = await Promise.all([stats.read(unit, signal), release.catch(() => null)]);
  const ports = declaredPorts(checks);
  return { ...read, ...(current ? { release: current } : {}), ...(ports.length ? { ports } : {}) };
}
