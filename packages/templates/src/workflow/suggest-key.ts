// "Did you mean `healthChecks`?": a key a place does not accept is compared with the keys it does
// accept, and the closest is named only when it is close, so an unrelated key gets no guess.

/** Case and `_`/`-` do not count: `depends_on`, `dependsOn` and `DEPENDS-ON` are one key. */
const normalise = (key: string) => key.toLowerCase().replace(/[-_]/g, "");

/** Edits (insert, delete, replace, swap two neighbours) between two strings; stops past `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prevPrev: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, prevPrev[j - 2]! + 1);
      row.push(d);
    }
    prevPrev = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/** How many edits still read as a typo of a key this long. */
const allowedEdits = (length: number) => (length <= 3 ? 0 : length <= 6 ? 1 : 2);

/** The accepted key `key` most likely meant, or undefined when none is close. */
export function suggestKey(key: string, known: Iterable<string>): string | undefined {
  const wanted = normalise(key);
  if (wanted === "") return undefined;
  const limit = allowedEdits(wanted.length);
  let best: { key: string; d: number } | undefined;
  for (const candidate of known) {
    if (candidate === key) continue;
    const d = distance(wanted, normalise(candidate), limit);
    if (d <= limit && (best === undefined || d < best.d)) best = { key: candidate, d };
  }
  return best?.key;
}

/** `"; did you mean `healthChecks`?"`, or "" when no accepted key is close. */
export function didYouMean(key: string, known: Iterable<string>): string {
  const suggestion = suggestKey(key, known);
  return suggestion === undefined ? "" : `; did you mean \`${suggestion}\`?`;
}
