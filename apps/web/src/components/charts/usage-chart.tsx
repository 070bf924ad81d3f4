"use client";
// CPU or memory over time for a host's services: one row per service, like the health chart
// beside it, each a hand-rolled SVG line on a scale shared by all rows (no chart library).
import { formatAbsolute } from "../status/time";
import { type UsageSample, usageLines, usageMax } from "./usage-lines";

export interface UsageSeries {
  workflow: string;
  service: string;
  samples: UsageSample[];
}

const HEIGHT = 32;

export function UsageChart({
  label,
  series,
  from,
  to,
  format,
  floor,
}: {
  label: string;
  series: UsageSeries[];
  from: Date;
  to: Date;
  format: (value: number) => string;
  /** The scale's smallest top (e.g. 1 % for CPU), so idle services do not look busy. */
  floor: number;
}) {
  const max = usageMax(
    series.flatMap((s) => s.samples.map((p) => p.value)),
    floor,
  );
  return (
    <figure className="space-y-2" aria-label={label}>
      <figcaption className="flex items-baseline justify-between text-xs text-slate-600">
        <span className="font-semibold text-slate-800">{label}</span>
        <span className="tabular-nums">scale 0 – {format(max)}</span>
      </figcaption>
      {series.map((s) => {
        const name = `${s.workflow}/${s.service}`;
        const values = s.samples.filter((p) => p.value !== null);
        const latest = values.at(-1);
        const peak = usageMax(
          values.map((p) => p.value),
          0,
        );
        const description = latest
          ? `${name}: ${format(latest.value!)} at ${formatAbsolute(latest.at)}, peak ${format(peak)}`
          : `${name}: no samples in this window`;
        return (
          <div
            key={name}
            className="grid grid-cols-1 items-center gap-1 sm:grid-cols-[12rem_1fr_5rem] sm:gap-3"
          >
            <span className="truncate text-xs font-medium text-slate-700" title={name}>
              {name}
            </span>
            <svg
              viewBox={`0 0 1000 ${HEIGHT}`}
              preserveAspectRatio="none"
              className="h-8 w-full overflow-hidden rounded bg-slate-100"
              role="img"
              aria-label={description}
            >
              {usageLines(s.samples, from, to, max, HEIGHT).map((points) => (
                <polyline
                  key={points}
                  points={points}
                  fill="none"
                  stroke="#0284c7"
                  strokeWidth={1.5}
                  vectorEffect="non-scaling-stroke"
                />
              ))}
            </svg>
            <span className="text-right text-xs tabular-nums text-slate-600">
              {latest ? format(latest.value!) : "–"}
            </span>
          </div>
        );
      })}
    </figure>
  );
}
