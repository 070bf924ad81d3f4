import type { PushHook } from "@capstan/db";

export interface PushHookView {
  id: string;
  workflowId: string;
  /** Path of the receiving endpoint; the dashboard prefixes its own origin. */
  path: string;
  branches: string[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export const pushHookPath = (hookId: string) => `/api/hooks/push/${hookId}`;

/** Never the secret or its ciphertext. */
export function toPushHookView(
  row: Pick<PushHook, "id" | "workflowId" | "branches" | "enabled" | "createdAt" | "updatedAt">,
): PushHookView {
  return {
    id: row.id,
    workflowId: row.workflowId,
    path: pushHookPath(row.id),
    branches: row.branches,
    enabled: row.enabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
