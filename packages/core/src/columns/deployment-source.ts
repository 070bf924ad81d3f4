// Deployment.source: what a deployment shipped (issue 13 contract): { kind: "git" | "upload",
// sha256, commit?: { sha, ref, message, author, date } }. Only shown here, so read leniently:
// an unreadable commit shows as none rather than failing the deployments list.
import { z } from "zod";
import { parseColumnOr } from "./parse-column";

const commitSchema = z.object({
  sha: z.string().regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/),
  ref: z.string().max(300).optional(),
  message: z.string().optional(),
  author: z.string().optional(),
  date: z.string().optional(),
});
const sourceSchema = z.object({ commit: commitSchema.optional() });

export interface DeploymentCommit {
  sha: string;
  ref: string | null;
  /** The first line of the commit message, at most 200 characters. */
  subject: string;
  author: string | null;
}

export function displayDeploymentCommit(value: unknown): DeploymentCommit | null {
  const commit = parseColumnOr(sourceSchema, value, null)?.commit;
  if (!commit) return null;
  return {
    sha: commit.sha,
    ref: commit.ref ?? null,
    subject: (commit.message ?? "").split("\n", 1)[0]!.trim().slice(0, 200),
    author: commit.author?.slice(0, 200) || null,
  };
}
