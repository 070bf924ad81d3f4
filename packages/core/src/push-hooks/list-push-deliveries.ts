import type { PushDeliveryStatus } from "@capstan/db";
import type { Db } from "../db";
import { findTeamPushHook } from "./find-team-push-hook";

export interface PushDeliveryView {
  id: string;
  provider: string;
  deliveryId: string | null;
  status: PushDeliveryStatus;
  ref: string | null;
  commit: string | null;
  deploymentId: string | null;
  error: string | null;
  receivedAt: Date;
}

export const PUSH_DELIVERY_SELECT = {
  id: true,
  provider: true,
  deliveryId: true,
  status: true,
  ref: true,
  commit: true,
  deploymentId: true,
  error: true,
  receivedAt: true,
} as const;

/** The workflow's recent push deliveries, newest first. */
export async function listPushDeliveries(
  db: Db,
  actor: { teamId: string },
  input: { workflowId: string; limit?: number },
): Promise<PushDeliveryView[]> {
  const hook = await findTeamPushHook(db, actor.teamId, input.workflowId);
  return db.pushDelivery.findMany({
    where: { hookId: hook.id },
    orderBy: [{ receivedAt: "desc" }, { id: "desc" }],
    take: Math.min(Math.max(input.limit ?? 20, 1), 100),
    select: PUSH_DELIVERY_SELECT,
  });
}
