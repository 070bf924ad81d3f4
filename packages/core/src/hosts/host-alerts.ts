// Threshold alerts of a host, decided without the database: which episodes to open and which to
// clear, given what this heartbeat says and what is open now. A kind is only judged when its data
// came along (resources every few minutes, restarts when the health changed), so an open alert
// is never cleared for lack of news.
import type { HostResources } from "@capstan/protocol";

export const HOST_ALERT_KINDS = ["disk", "memory", "restart-loop", "certificate"] as const;
export type HostAlertKind = (typeof HOST_ALERT_KINDS)[number];

export interface HostAlertThresholds {
  /** Alert when a disk (state directory, Docker root) is more than this % used. */
  diskUsedPercent: number;
  /** Alert when available memory falls below this % of the total. */
  memoryAvailablePercent: number;
  /** Alert when a service turned unhealthy at least this many times ... */
  restarts: number;
  /** ... within this many minutes. */
  restartMinutes: number;
}

export const DEFAULT_HOST_ALERT_THRESHOLDS: HostAlertThresholds = {
  diskUsedPercent: 90,
  memoryAvailablePercent: 5,
  restarts: 5,
  restartMinutes: 10,
};

export interface AlertFinding {
  kind: HostAlertKind;
  subject: string;
  detail: string;
}

export interface OpenAlert {
  id: string;
  kind: string;
  subject: string;
}

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

/** What crosses a threshold now, among the kinds `judged` (others are left as they are). */
export function findAlerts(
  input: { resources?: HostResources; restarts?: Map<string, number> },
  t: HostAlertThresholds,
): { judged: Set<HostAlertKind>; findings: AlertFinding[] } {
  const judged = new Set<HostAlertKind>();
  const findings: AlertFinding[] = [];
  if (input.resources) {
    judged.add("disk");
    const seen = new Set<number>();
    for (const d of input.resources.disks) {
      // Docker's root on the state directory's filesystem is one disk: one alert.
      if (d.totalBytes <= 0 || (d.device !== undefined && seen.has(d.device))) continue;
      if (d.device !== undefined) seen.add(d.device);
      const used = 100 - (d.availableBytes / d.totalBytes) * 100;
      if (used > t.diskUsedPercent)
        findings.push({
          kind: "disk",
          subject: d.role,
          detail: `${d.path} is ${used.toFixed(0)}% used (${gib(d.availableBytes)} of ${gib(d.totalBytes)} left; alert above ${t.diskUsedPercent}%)`,
        });
    }
    const m = input.resources.memory;
    if (m && m.totalBytes > 0) {
      judged.add("memory");
      const available = (m.availableBytes / m.totalBytes) * 100;
      if (available < t.memoryAvailablePercent)
        findings.push({
          kind: "memory",
          subject: "memory",
          detail: `${available.toFixed(1)}% of memory available (${gib(m.availableBytes)} of ${gib(m.totalBytes)}; alert below ${t.memoryAvailablePercent}%)`,
        });
    }
  }
  if (input.restarts) {
    judged.add("restart-loop");
    for (const [subject, count] of input.restarts) {
      if (count >= t.restarts)
        findings.push({
          kind: "restart-loop",
          subject,
          detail: `${subject} went down ${count} times in the last ${t.restartMinutes} minutes (alert at ${t.restarts})`,
        });
    }
  }
  return { judged, findings };
}

/** Episodes to open (not open yet) and open ones to clear (judged and no longer found). */
export function planHostAlerts(
  open: readonly OpenAlert[],
  judged: ReadonlySet<HostAlertKind>,
  findings: readonly AlertFinding[],
): { open: AlertFinding[]; clear: string[] } {
  const key = (a: { kind: string; subject: string }) => `${a.kind}\u0000${a.subject}`;
  const found = new Set(findings.map(key));
  const already = new Set(open.map(key));
  return {
    open: findings.filter((f) => !already.has(key(f))),
    clear: open.filter((a) => judged.has(a.kind as HostAlertKind) && !found.has(key(a))).map((a) => a.id),
  };
}
