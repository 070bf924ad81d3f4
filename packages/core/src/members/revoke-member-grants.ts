// What a member handed out (API tokens, open invitations) must not outlive their membership or
// exceed their role: called inside the transaction that removes them or lowers their role.
import type { Role } from "@capstan/db";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { hasRole } from "../rbac/roles";
import { auditActor, type TeamActor } from "../rbac/team-actor";

export interface RevokedGrants {
  apiTokens: number;
  invitations: number;
}

/**
 * `keepUpTo` null (the member leaves): every live token and open invitation they created is
 * revoked. A role: only open invitations above it are revoked; tokens are capped on every call
 * instead (authenticateApiToken), so raising the role again restores them.
 */
export async function revokeMemberGrants(
  tx: Db,
  actor: TeamActor,
  member: { userId: string },
  keepUpTo: Role | null,
): Promise<RevokedGrants> {
  const now = new Date();
  const reason = keepUpTo === null ? "member_removed" : "member_role_lowered";
  const tokens =
    keepUpTo === null
      ? await tx.apiToken.findMany({
          where: { teamId: actor.teamId, createdById: member.userId, revokedAt: null },
          select: { id: true, name: true, prefix: true },
        })
      : [];
  const invitations = (
    await tx.invitation.findMany({
      where: { teamId: actor.teamId, createdById: member.userId, acceptedAt: null, revokedAt: null },
      select: { id: true, role: true, email: true },
    })
  ).filter((i) => keepUpTo === null || !hasRole(keepUpTo, i.role));

  if (tokens.length > 0)
    await tx.apiToken.updateMany({
      where: { id: { in: tokens.map((t) => t.id) } },
      data: { revokedAt: now },
    });
  if (invitations.length > 0)
    await tx.invitation.updateMany({
      where: { id: { in: invitations.map((i) => i.id) } },
      data: { revokedAt: now },
    });
  const events = [
    ...tokens.map(({ id, ...data }) => ({ kind: "api_token.revoked", type: "api_token", id, data })),
    ...invitations.map(({ id, ...data }) => ({ kind: "invitation.revoked", type: "invitation", id, data })),
  ];
  for (const event of events)
    await recordAuditEvent(tx, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: event.kind,
      target: { type: event.type, id: event.id },
      data: { ...event.data, reason },
    });
  return { apiTokens: tokens.length, invitations: invitations.length };
}
