// Turns health transitions into coloured spans over a time window: the pure part of the chart.

export interface HealthChangePoint {
  status: string;
  at: Date;
}

export interface HealthSegment {
  status: string;
  start: Date;
  end: Date;
  /** Position and width as fractions (0..1) of the window. */
  x: number;
  width: number;
}

/**
 * Spans of constant status within [from, to]. Before the first known change the status is
 * unknown and no span is drawn; the last status lasts until `to`.
 */
export function computeHealthSegments(changes: HealthChangePoint[], from: Date, to: Date): HealthSegment[] {
  const total = to.getTime() - from.getTime();
  if (total <= 0) return [];
  const sorted = [...changes].sort((a, b) => a.at.getTime() - b.at.getTime());
  const segments: HealthSegment[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const change = sorted[i]!;
    const next = sorted[i + 1];
    const start = Math.max(change.at.getTime(), from.getTime());
    const end = Math.min(next ? next.at.getTime() : to.getTime(), to.getTime());
    if (end <= start) continue;
    const last = segments.at(-1);
    if (last && last.status === change.status && last.end.getTime() === start) {
      last.end = new Date(end);
      last.width = (end - last.start.getTime()) / total;
      continue;
    }
    segments.push({
      status: change.status,
      start: new Date(start),
      end: new Date(end),
      x: (start - from.getTime()) / total,
      width: (end - start) / total,
    });
  }
  return segments;
}

/** Share of the window each status covered, for a textual summary next to the chart. */
export function summarizeSegments(segments: HealthSegment[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of segments) out[s.status] = (out[s.status] ?? 0) + s.width;
  return out;
}
