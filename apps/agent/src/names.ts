// Every name that reaches a path, a unit name or a project name is checked here first.
import { NAME_PATTERN } from "@capstan/templates";

export function assertName(value: unknown, what: string): string {
  if (typeof value !== "string" || !NAME_PATTERN.test(value)) {
    throw new Error(`${what} must match ${NAME_PATTERN.source}`);
  }
  return value;
}

/**
 * Release folder names: derived from the revision hash, so only [a-z0-9-]. With a bundle its
 * sha256 is part of the name: a revision redeployed from a newer commit is another release
 * (files bound into running containers are never replaced in place).
 */
export function releaseIdFor(revisionHash: string, revisionNumber?: number, bundleSha256?: string): string {
  const hash = revisionHash
    .toLowerCase()
    .replace(/^sha256:/, "")
    .replace(/[^a-z0-9]/g, "")
    .slice(0, 12);
  if (!hash) throw new Error("revision hash is empty");
  const bundle = bundleSha256 ? `-b${bundleSha256.replace(/[^a-z0-9]/g, "").slice(0, 8)}` : "";
  return assertName(`${revisionNumber ? `r${revisionNumber}-${hash}` : `r-${hash}`}${bundle}`, "release id");
}
