// A full disk has one fix, and it is the operator's: say so in words and name the disk, instead
// of Node's "ENOSPC: no space left on device, write" that names neither.
import { isAbsolute, relative } from "node:path";

const FULL = new Map([
  ["ENOSPC", "no space left"],
  ["EDQUOT", "the disk quota is used up"],
]);

/** The error's message, or for a full disk one that says which disk and what to do. */
export function describeError(error: unknown, stateDir: string): string {
  const e = error as NodeJS.ErrnoException;
  const what = typeof e?.code === "string" ? FULL.get(e.code) : undefined;
  if (!what) return (error as Error)?.message ?? String(error);
  // A write error carries no path; the agent writes almost everything under its state directory.
  const elsewhere = e.path && !isInside(stateDir, e.path);
  const where = elsewhere ? `on the disk holding ${e.path}` : `on the host's state disk (${stateDir})`;
  return `${what} ${where}: free space there (old releases, images, logs) or give it more room, then deploy again (${e.code})`;
}

function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}
