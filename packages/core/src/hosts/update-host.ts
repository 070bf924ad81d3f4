import type { Prisma } from "@capstan/db";
import { hostPolicySchema } from "@capstan/templates";
import { z } from "zod";
import { type Actor, recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { hostLabelsSchema } from "../enrollment/create-enrollment-token";
import { badRequest, conflict } from "../errors";
import { findTeamHost } from "./find-team-host";
import { type HostView, toHostView } from "./host-view";

export const updateHostInputSchema = z.object({
  labels: hostLabelsSchema.optional(),
  policy: hostPolicySchema.optional(),
});
export type UpdateHostInput = z.input<typeof updateHostInputSchema>;

/** Replaces a host's labels and/or policy (ADMIN+; the router checks the role). */
export async function updateHost(
  db: Db,
  args: { teamId: string; hostId: string; actor: Actor; input: UpdateHostInput },
): Promise<HostView> {
  const parsed = updateHostInputSchema.safeParse(args.input);
  if (!parsed.success) throw badRequest("Invalid host settings.", z.flattenError(parsed.error).fieldErrors);
  const host = await findTeamHost(db, args);
  if (host.status === "REVOKED") throw conflict("This host is revoked; enroll it again instead.");
  const data: Prisma.HostUpdateInput = {};
  if (parsed.data.labels) data.labels = parsed.data.labels;
  if (parsed.data.policy) data.policy = parsed.data.policy as Prisma.InputJsonObject;
  const updated = await db.host.update({ where: { id: host.id }, data });
  await recordAuditEvent(db, {
    teamId: args.teamId,
    actor: args.actor,
    kind: "host.updated",
    target: { type: "host", id: host.id },
    data: {
      ...(parsed.data.labels ? { labels: parsed.data.labels } : {}),
      ...(parsed.data.policy ? { policy: parsed.data.policy as Prisma.InputJsonObject } : {}),
    },
  });
  return toHostView(updated);
}
