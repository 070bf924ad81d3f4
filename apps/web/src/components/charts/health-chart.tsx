"use client";
// Health over time for a host's services: one row per service, coloured spans per status.
// Hand-rolled SVG (a few rects per row) so the dashboard needs no chart library.
import { STATUS_FILL, statusLabel, statusTone } from "../status/status-badge";
import { formatAbsolute } from "../status/time";
import { computeHealthSegments, type HealthChangePoint } from "./health-segments";

export interface HealthChartSeries {
  workflow: string;
  service: string;
  changes: HealthChangePoint[];
}

const LEGEND = ["HEALTHY", "STARTING", "UNHEALTHY", "STOPPED", "UNKNOWN"];

export function HealthChart({ series, from, to }: { series: HealthChartSeries[]; from: Date; to: Date }) {
  const tickFormat = new Intl.DateTimeFormat("en", {
    ...(to.getTime() - from.getTime() > 36 * 3600_000 ? { month: "short", day: "numeric" } : {}),
    hour: "2-digit",
    minute: "2-digit",
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (f) => new Date(from.getTime() + f * (to.getTime() - from.getTime())),
  );
  return (
    <figure className="space-y-2" aria-label="Service health over time">
      <div className="space-y-2">
        {series.map((s) => {
          const segments = computeHealthSegments(s.changes, from, to);
          const name = `${s.workflow}/${s.service}`;
          const description = segments.length
            ? segments
                .map(
                  (g) =>
                    `${statusLabel(g.status)} from ${formatAbsolute(g.start)} to ${formatAbsolute(g.end)}`,
                )
                .join("; ")
            : "no reports in this window";
          return (
            <div key={name} className="grid grid-cols-1 items-center gap-1 sm:grid-cols-[12rem_1fr] sm:gap-3">
              <span className="truncate text-xs font-medium text-slate-700" title={name}>
                {name}
              </span>
              <svg
                viewBox="0 0 1000 20"
                preserveAspectRatio="none"
                className="h-5 w-full overflow-hidden rounded bg-slate-100"
                role="img"
                aria-label={`${name}: ${description}`}
              >
                {segments.map((g) => (
                  <rect
                    key={g.start.toISOString()}
                    x={g.x * 1000}
                    width={Math.max(g.width * 1000, 1)}
                    y={0}
                    height={20}
                    fill={STATUS_FILL[statusTone(g.status)]}
                  >
                    <title>{`${statusLabel(g.status)}: ${formatAbsolute(g.start)} – ${formatAbsolute(g.end)}`}</title>
                  </rect>
                ))}
              </svg>
            </div>
          );
        })}
      </div>
      <div className="grid grid-cols-1 sm:grid-cols-[12rem_1fr] sm:gap-3">
        <span />
        <div className="flex justify-between text-[10px] tabular-nums text-slate-500" aria-hidden>
          {ticks.map((t) => (
            <span key={t.toISOString()}>{tickFormat.format(t)}</span>
          ))}
        </div>
      </div>
      <figcaption className="flex flex-wrap gap-3 pt-1 text-xs text-slate-600">
        {LEGEND.map((status) => (
          <span key={status} className="inline-flex items-center gap-1">
            <span
              className="inline-block h-2.5 w-2.5 rounded-sm"
              style={{ background: STATUS_FILL[statusTone(status)] }}
            />
            {statusLabel(status)}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
