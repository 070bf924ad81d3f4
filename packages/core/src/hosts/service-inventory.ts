// Reads back what heartbeats stored for the host page. The columns hold what the protocol
// accepted, but they are parsed again here: a row written by an older version (or by hand) is
// shown as "no data", never passed on unchecked.
import { type ServiceStats, serviceStatsSchema, type Unmanaged, unmanagedSchema } from "@capstan/protocol";

export function toServiceStats(json: unknown): ServiceStats | null {
  const parsed = serviceStatsSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

export function toUnmanaged(json: unknown): Unmanaged | null {
  const parsed = unmanagedSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

export interface StatsPoint {
  at: Date;
  cpuPercent: number | null;
  memoryBytes: number | null;
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : null);

/** The ring's [epochSeconds, cpu, memory] triples within [from, to], in time order. */
export function toStatsPoints(json: unknown, from: Date, to: Date): StatsPoint[] {
  if (!Array.isArray(json)) return [];
  const points: StatsPoint[] = [];
  for (const entry of json) {
    if (!Array.isArray(entry) || typeof entry[0] !== "number") continue;
    const at = new Date(entry[0] * 1000);
    if (at < from || at > to) continue;
    points.push({ at, cpuPercent: num(entry[1]), memoryBytes: num(entry[2]) });
  }
  return points.sort((a, b) => a.at.getTime() - b.at.getTime());
}
