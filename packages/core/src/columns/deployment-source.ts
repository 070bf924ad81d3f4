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
