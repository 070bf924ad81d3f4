"use client";
// Times as people read them ("3 min ago", "1 h 2 min"), with the exact time on hover.
import { useEffect, useState } from "react";

const absolute = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "medium" });
const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto", style: "short" });

export function formatAbsolute(date: Date): string {
  return absolute.format(date);
}

function formatRelative(date: Date, now = Date.now()): string {
  const seconds = Math.round((date.getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return seconds <= 0 ? "just now" : "in a few seconds";
  if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
  if (abs < 86_400) return relative.format(Math.round(seconds / 3600), "hour");
  return relative.format(Math.round(seconds / 86_400), "day");
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

/** Re-renders every `ms` so relative times and running durations stay current. */
function useNow(ms = 15_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

export function RelativeTime({
  date,
  fallback = "never",
}: {
  date: Date | null | undefined;
  fallback?: string;
}) {
  useNow(); // re-renders every 15 s
  // The clock at render time, not at the last tick: a time fetched since then (a heartbeat a
  // second ago) would otherwise read as "in a few seconds".
  const now = Date.now();
  if (!date) return <span className="text-slate-400">{fallback}</span>;
  return (
    <time dateTime={date.toISOString()} title={formatAbsolute(date)} suppressHydrationWarning>
      {formatRelative(date, now)}
    </time>
  );
}

/** How long something took, or has been running so far. */
export function Duration({ start, end }: { start: Date | null | undefined; end: Date | null | undefined }) {
  const now = useNow(1000);
  if (!start) return <span className="text-slate-400">–</span>;
  return (
    <span className="tabular-nums">{formatDuration((end ?? new Date(now)).getTime() - start.getTime())}</span>
  );
}
