// One colour vocabulary for every status in the dashboard (hosts, deployments, jobs, steps,
// service health). The text is always shown next to the colour, so nothing relies on colour alone.
import { clsx } from "clsx";
import type { Tone } from "../ui";

const TONE: Record<string, Tone> = {
  ONLINE: "green",
  HEALTHY: "green",
  SUCCEEDED: "green",
  OFFLINE: "red",
  UNHEALTHY: "red",
  FAILED: "red",
  PENDING: "slate",
  QUEUED: "slate",
  REVOKED: "slate",
  CANCELLED: "slate",
  SKIPPED: "slate",
  STOPPED: "slate",
  RUNNING: "blue",
  STARTING: "blue",
  UNKNOWN: "amber",
  AWAITING_APPROVAL: "violet",
  ACTIVE: "green",
  USED: "slate",
  EXPIRED: "slate",
};

const DOT: Record<Tone, string> = {
  green: "bg-emerald-500",
  red: "bg-red-500",
  amber: "bg-amber-500",
  blue: "bg-sky-500",
  violet: "bg-violet-500",
  slate: "bg-slate-400",
};

const PILL: Record<Tone, string> = {
  green: "bg-emerald-50 text-emerald-700 ring-emerald-600/20",
  amber: "bg-amber-50 text-amber-800 ring-amber-600/20",
  red: "bg-red-50 text-red-700 ring-red-600/20",
  blue: "bg-sky-50 text-sky-700 ring-sky-600/20",
  violet: "bg-violet-50 text-violet-700 ring-violet-600/20",
  slate: "bg-slate-100 text-slate-700 ring-slate-500/20",
};

/** SVG fill colours for charts, matching the badges. */
export const STATUS_FILL: Record<Tone, string> = {
  green: "#10b981",
  red: "#ef4444",
  amber: "#f59e0b",
  blue: "#0ea5e9",
  violet: "#8b5cf6",
  slate: "#94a3b8",
};

export function statusTone(status: string): Tone {
  return TONE[status] ?? "slate";
}

export function statusLabel(status: string): string {
  return status.charAt(0) + status.slice(1).toLowerCase();
}

const LIVE = new Set(["RUNNING", "STARTING"]);

export function StatusDot({ status, className }: { status: string; className?: string }) {
  const tone = statusTone(status);
  return (
    <span className={clsx("relative inline-flex h-2 w-2 shrink-0", className)} aria-hidden>
      {LIVE.has(status) ? (
        <span
          className={clsx(
            "absolute inline-flex h-full w-full animate-ping rounded-full opacity-60",
            DOT[tone],
          )}
        />
      ) : null}
      <span className={clsx("relative inline-flex h-2 w-2 rounded-full", DOT[tone])} />
    </span>
  );
}

export function StatusBadge({ status, label }: { status: string; label?: string }) {
  const tone = statusTone(status);
  return (
    <span
      className={clsx(
        "inline-flex items-center gap-1.5 whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset",
        PILL[tone],
      )}
      data-status={status}
    >
      <StatusDot status={status} />
      {label ?? statusLabel(status)}
    </span>
  );
}
