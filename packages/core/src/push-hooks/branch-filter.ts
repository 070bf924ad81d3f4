// A push hook's branch filter: exact branch names or simple globs. `*` matches within one path
// segment (`release/*` takes release/1.2 but not release/1.2/hotfix), `**` across segments.
// Patterns are an allowlist of characters git allows in branch names, so no regex reaches them.
import { badRequest } from "../errors";

export const MAX_BRANCH_PATTERNS = 20;
const PATTERN = /^[A-Za-z0-9._/*+-]{1,200}$/;

export function checkBranchFilter(patterns: readonly string[]): string[] {
  const cleaned = [...new Set(patterns.map((p) => p.trim()).filter(Boolean))];
  if (cleaned.length === 0)
    throw badRequest("Give at least one branch to deploy from, e.g. main or release/*.");
  if (cleaned.length > MAX_BRANCH_PATTERNS)
    throw badRequest(`A push hook takes at most ${MAX_BRANCH_PATTERNS} branch patterns.`);
  for (const pattern of cleaned) {
    if (
      !PATTERN.test(pattern) ||
      pattern.startsWith("/") ||
      pattern.includes("//") ||
      pattern.includes("***")
    )
      throw badRequest(
        `Branch pattern "${pattern.slice(0, 60)}" is not valid: use a branch name (letters, digits, . _ - / +) with * for one path segment or ** for any, e.g. release/*.`,
      );
  }
  return cleaned;
}

function toRegExp(pattern: string): RegExp {
  const source = pattern
    .split(/(\*\*|\*)/)
    .map((part) => (part === "**" ? ".*" : part === "*" ? "[^/]*" : part.replace(/[.+]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`);
}

export function branchMatches(patterns: readonly string[], branch: string): boolean {
  return patterns.some((pattern) => toRegExp(pattern).test(branch));
}
