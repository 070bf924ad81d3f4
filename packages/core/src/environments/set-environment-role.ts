// Narrows a member's role on one environment, or clears it (ADMIN, checked by the caller). Only
// ever narrower: a role at or above the member's team role would mean nothing, so it is refused.
// Like team roles, an owner's access is an owner's to change.
import type { Role } from "@capstan/db";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { badRequest, forbidden } from "../errors";
import { getMember } from "../members/get-member";
import { hasRole } from "../rbac/roles";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { getEnvironment } from "./get-environment";

export interface SetEnvironmentRoleInput {
  environmentId: string;
  membershipId: string;
  /** null: the member's team role applies on this environment again. */
  role: Role | null;
}

export async function setEnvironmentRole(db: Db, actor: TeamActor, input: SetEnvironmentRoleInput) {
  const environment = await getEnvironment(db, actor.teamId, input.environmentId);
  const member = await getMember(db, actor.teamId, input.membershipId);
  if (member.role === "OWNER" && actor.role !== "OWNER")
    throw forbidden("Only an owner can narrow an owner's role on an environment.");
  if (input.role !== null && hasRole(input.role, member.role))
    throw badRequest(
      `An environment role only narrows: choose a role below this member's team role (${member.role}), or clear it.`,
    );
  const key = { environmentId_membershipId: { environmentId: environment.id, membershipId: member.id } };
  if (input.role === null) await db.environmentRole.deleteMany({ where: key.environmentId_membershipId });
  else
    await db.environmentRole.upsert({
      where: key,
      create: { ...key.environmentId_membershipId, role: input.role },
      update: { role: input.role },
    });
  await recordAuditEvent(db, {
    teamId: actor.teamId,
    actor: auditActor(actor),
    kind: input.role === null ? "environment.role_cleared" : "environment.role_set",
    target: { type: "user", id: member.userId },
    data: { environment: environment.name, environmentId: environment.id, role: input.role },
  });
  return { environmentId: environment.id, membershipId: member.id, role: input.role };
}
