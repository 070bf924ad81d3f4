// Turns a service's CPU or memory samples into SVG polyline runs for the usage chart: x across the
// window (0..1000), y scaled to the largest value in view. A missing value, or a gap longer than
// a few sampling intervals (agent down, service stopped), breaks the line instead of bridging it.

export interface UsageSample {
  at: Date;
  value: number | null;
}

/** Points further apart than this are not joined (the ring samples every 2 minutes). */
const MAX_GAP_MS = 10 * 60_000;

export function usageLines(
  samples: readonly UsageSample[],
  from: Date,
  to: Date,
  max: number,
  height: number,
): string[] {
  const span = Math.max(to.getTime() - from.getTime(), 1);
  const runs: string[][] = [];
  let run: string[] = [];
  let last: number | null = null;
  for (const s of samples) {
    const t = s.at.getTime();
    if (s.value === null || t < from.getTime() || t > to.getTime()) {
      if (run.length) runs.push(run);
      run = [];
      continue;
    }
    if (last !== null && t - last > MAX_GAP_MS && run.length) {
      runs.push(run);
      run = [];
    }
    const x = ((t - from.getTime()) / span) * 1000;
    const y = height - (max > 0 ? (s.value / max) * height : 0);
    run.push(`${x.toFixed(1)},${y.toFixed(1)}`);
    last = t;
  }
  if (run.length) runs.push(run);
  // A lone point still shows: as a short flat segment.
  return runs.map((r) =>
    r.length === 1 ? `${r[0]} ${r[0]!.replace(/^[\d.]+/, (x) => String(Number(x) + 2))}` : r.join(" "),
  );
}

/** The largest value among the samples (for a shared scale), at least `floor`. */
export function usageMax(values: readonly (number | null)[], floor: number): number {
  return values.reduce<number>((m, v) => (v !== null && v > m ? v : m), floor);
}
