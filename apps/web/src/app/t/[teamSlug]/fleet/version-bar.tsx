// Hosts per agent version as one horizontal stacked bar: the served version green, older ones
// amber, never-reported gray. Plain divs, so it needs no chart library; every segment carries its
// text as a label and the legend repeats it, so nothing relies on colour alone.
import { clsx } from "clsx";
import type { Tone } from "@/components/ui";
import { type FleetVersion, versionLabel, versionTone } from "./fleet-model";

const FILL: Partial<Record<Tone, string>> = {
  green: "bg-emerald-500",
  amber: "bg-amber-400",
  slate: "bg-slate-300",
};

export function VersionBar({ versions }: { versions: FleetVersion[] }) {
  const total = versions.reduce((n, v) => n + v.hosts, 0);
  if (total === 0) return null;
  return (
    <div>
      <div className="flex h-4 w-full overflow-hidden rounded-full bg-slate-100" data-testid="version-bar">
        {versions.map((v) => (
          <div
            key={v.version ?? "unknown"}
            role="img"
            aria-label={versionLabel(v)}
            title={versionLabel(v)}
            className={clsx("h-full border-r border-white last:border-r-0", FILL[versionTone(v)])}
            style={{ width: `${(v.hosts / total) * 100}%` }}
          />
        ))}
      </div>
      <ul className="mt-3 flex flex-wrap gap-x-5 gap-y-1 text-sm text-slate-700" aria-label="Agent versions">
        {versions.map((v) => (
          <li key={v.version ?? "unknown"} className="flex items-center gap-2">
            <span className={clsx("h-2.5 w-2.5 rounded-sm", FILL[versionTone(v)])} aria-hidden />
            {versionLabel(v)}
          </li>
        ))}
      </ul>
    </div>
  );
}
