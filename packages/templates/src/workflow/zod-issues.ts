// Turns zod issues into workflow issues a person can act on. Object unions (compose | systemd,
// http | tcp | command, url | upload) would otherwise report every branch's complaints; the
// branch the author evidently meant is chosen by which keys are present.
import type { z } from "zod";
import { didYouMean } from "./suggest-key";
import type { IssuePath, WorkflowIssue } from "./workflow-issue";

type ZodIssue = z.core.$ZodIssue;

const isMissingRootKey = (issue: ZodIssue) =>
  issue.code === "invalid_type" && issue.path.length === 1 && /received undefined/.test(issue.message);
const isRootUnknownKey = (issue: ZodIssue) => issue.code === "unrecognized_keys" && issue.path.length === 0;

/** The keys a mapping at a path accepts, for "did you mean" on an unknown key. */
export type KnownKeys = (path: IssuePath) => Iterable<string>;

export function zodIssuesToWorkflowIssues(
  issues: readonly ZodIssue[],
  prefix: IssuePath = [],
  knownKeys: KnownKeys = () => [],
): WorkflowIssue[] {
  const out: WorkflowIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as (string | number)[])];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        out.push({
          path: [...path, key],
          message: `unknown key${didYouMean(key, knownKeys(path))}`,
          atKey: true,
        });
    } else if (issue.code === "invalid_union" && issue.errors.length > 0) {
      out.push(...flattenUnion(issue.errors, path, knownKeys));
    } else if (issue.code === "invalid_key") {
      // A record key failed its pattern (service names, env names): report the key's own rule.
      out.push(
        ...zodIssuesToWorkflowIssues(issue.issues, path, knownKeys).map((i) => ({ ...i, atKey: true })),
      );
    } else if (issue.code === "invalid_type" && /received undefined/.test(issue.message)) {
      out.push({ path, message: "is required" });
    } else {
      out.push({ path, message: issue.message.replace(/^Invalid input: /, "") });
    }
  }
  return out;
}

function flattenUnion(
  branches: readonly (readonly ZodIssue[])[],
  path: IssuePath,
  knownKeys: KnownKeys,
): WorkflowIssue[] {
  const fewest = Math.min(...branches.map((b) => b.length));
  const best = branches.filter((b) => b.length === fewest);
  const onlyShape = (b: readonly ZodIssue[]) => b.every((i) => isMissingRootKey(i) || isRootUnknownKey(i));
  if (best.length > 1 && best.every(onlyShape)) {
    const keys = new Set<string>();
    for (const branch of branches) {
      for (const issue of branch) {
        if (isMissingRootKey(issue)) keys.add(String(issue.path[0]));
        if (issue.code === "unrecognized_keys" && issue.path.length === 0)
          for (const k of issue.keys) keys.add(k);
      }
    }
    if (keys.size > 0) {
      const list = [...keys].map((k) => `\`${k}\``).join(", ");
      return [{ path, message: `must have exactly one of ${list}` }];
    }
    // Scalar unions (a number or a duration string, ...): one message is enough.
    return [{ path, message: best[0]![0]?.message.replace(/^Invalid input: /, "") ?? "is invalid" }];
  }
  return zodIssuesToWorkflowIssues(best[0]!, path, knownKeys);
}
