// Deployment.source: what a deployment really shipped, so its page can show the commit and a
// rollback can ship the same files again without asking Git what a branch points at now.
import type { Prisma } from "@capstan/db";
import { z } from "zod";
import { parseColumnOr } from "./parse-column";

export const deploymentSourceSchema = z.object({
  kind: z.enum(["git", "upload"]),
  sha256: z.string(),
  commit: z
    .object({ sha: z.string(), ref: z.string(), message: z.string(), author: z.string(), date: z.string() })
    .optional(),
});
export type DeploymentSource = z.output<typeof deploymentSourceSchema>;

/** Null when the deployment shipped no project files (or the value is unreadable: it is only shown and copied). */
export function readDeploymentSource(value: unknown): DeploymentSource | null {
  return value == null ? null : parseColumnOr(deploymentSourceSchema, value, null);
}

export function deploymentSourceJson(source: DeploymentSource): Prisma.InputJsonObject {
  return source as unknown as Prisma.InputJsonObject;
}

export interface DeploymentCommit {
  sha: string;
  ref: string | null;
  /** The first line of the commit message, at most 200 characters. */
  subject: string;
  author: string | null;
}

/** The commit a deployment shipped, for lists; an unreadable value shows as none. */
export function displayDeploymentCommit(value: unknown): DeploymentCommit | null {
  const commit = readDeploymentSource(value)?.commit;
  if (!commit || !/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(commit.sha)) return null;
  return {
    sha: commit.sha,
    ref: commit.ref || null,
    subject: commit.message.split("\n", 1)[0]!.trim().slice(0, 200),
    author: commit.author.slice(0, 200) || null,
  };
}
