// Pure helpers behind the Fleet page, kept apart from the components so they can be unit-tested.
import type { inferRouterOutputs } from "@trpc/server";
import type { Tone } from "@/components/ui";
import type { AppRouter } from "@/server/trpc/root";

type RouterOutputs = inferRouterOutputs<AppRouter>;
export type FleetView = RouterOutputs["fleet"]["get"];
export type UpgradeResult = RouterOutputs["fleet"]["upgrade"];

export type FleetHost = FleetView["hosts"][number];
export type FleetVersion = FleetView["versions"][number];

/** While an upgrade is waiting or running the page polls fast, so its outcome shows promptly. */
export const FAST_REFETCH_MS = 3_000;
export const SLOW_REFETCH_MS = 15_000;

function upgradeOpen(host: FleetHost): boolean {
  return host.upgrade?.status === "PENDING" || host.upgrade?.status === "IN_PROGRESS";
}

export function refetchInterval(view: FleetView | undefined): number {
  return view?.hosts.some(upgradeOpen) ? FAST_REFETCH_MS : SLOW_REFETCH_MS;
}

/**
 * Hosts "Upgrade all outdated" orders: behind the served build and with no upgrade under way.
 * Offline hosts are included: the order waits for their next heartbeat.
 */
export function outdatedHosts(view: FleetView): FleetHost[] {
  return view.hosts.filter((h) => h.upToDate === false && h.status !== "REVOKED" && !upgradeOpen(h));
}

/** Whether a row gets its own "Upgrade" button: outdated, reachable now, nothing under way. */
export function canUpgradeRow(host: FleetHost): boolean {
  return host.upToDate === false && host.status === "ONLINE" && !upgradeOpen(host);
}

export function versionTone(v: Pick<FleetVersion, "version" | "current">): Tone {
  if (v.current) return "green";
  return v.version === null ? "slate" : "amber";
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** "0.2.0 (current) · 3 hosts", "unknown · 1 host": the legend entry and the segment's label. */
export function versionLabel(v: FleetVersion): string {
  const name = v.version === null ? "unknown" : v.current ? `${v.version} (current)` : v.version;
  return `${name} · ${plural(v.hosts, "host")}`;
}

export function agentVersionBadge(host: FleetHost): { label: string; tone: Tone } {
  if (host.upToDate === true) return { label: "current", tone: "green" };
  if (host.upToDate === false) return { label: "outdated", tone: "amber" };
  return { label: "unknown", tone: "slate" };
}

/** The formats the served build offers, as the header card lists them. */
export function releaseFormats(release: FleetView["release"]): string[] {
  return [...release.executables.map((e) => `${e} executable`), ...(release.bundle ? ["JS bundle"] : [])];
}
