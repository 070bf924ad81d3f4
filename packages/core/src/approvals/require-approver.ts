// Who may decide a waiting deployment: a member other than the one who asked for it (for an API
// token, its creator: a token never approves its creator's own request), holding the approver role
// team-wide AND on every environment the hosts belong to (per-environment narrowing applies).
import type { Db } from "../db";
import { requireEnvironmentRole } from "../environments/require-environment-role";
import { conflict, forbidden, notFound } from "../errors";
import { isUuid } from "../ids";
import { hasRole } from "../rbac/roles";
import { environmentCaller, type TeamActor } from "../rbac/team-actor";

export interface AwaitingDeployment {
  id: string;
  environments: string[];
  hostIds: string[];
  createdAt: Date;
}

/** The member who asked: the signed-in user, or the creator of the API token that asked. */
export async function requesterOf(db: Db, d: { createdById: string | null; apiTokenId: string | null }) {
  if (d.createdById || !d.apiTokenId) return d.createdById;
  const token = await db.apiToken.findUnique({ where: { id: d.apiTokenId }, select: { createdById: true } });
  return token?.createdById ?? null;
}

export async function requireApprover(
  db: Db,
  actor: TeamActor,
  deploymentId: string,
  doing: "approve" | "reject",
): Promise<AwaitingDeployment> {
  if (!isUuid(deploymentId)) throw notFound("Deployment");
  const d = await db.deployment.findFirst({
    where: { id: deploymentId, teamId: actor.teamId },
    select: {
      id: true,
      status: true,
      createdById: true,
      apiTokenId: true,
      createdAt: true,
      approvalRole: true,
      approvalEnvironments: true,
      jobs: { select: { hostId: true } },
    },
  });
  if (!d) throw notFound("Deployment");
  if (d.status !== "AWAITING_APPROVAL" || !d.approvalRole)
    throw conflict(
      `This deployment is not waiting for an approval (it is ${d.status}); there is nothing to ${doing}.`,
    );
  if ((await requesterOf(db, d)) === actor.userId)
    throw forbidden(
      `You asked for this deployment, so you cannot ${doing} it yourself${actor.apiToken ? " (an API token acts for its creator)" : ""}: another member with the ${d.approvalRole} role must.`,
    );
  const where = d.approvalEnvironments.join(", ");
  if (!hasRole(actor.role, d.approvalRole))
    throw forbidden(
      `To ${doing} a deployment to ${where} you need the ${d.approvalRole} role; yours is ${actor.role}.`,
    );
  const hostIds = d.jobs.map((j) => j.hostId);
  await requireEnvironmentRole(db, {
    teamId: actor.teamId,
    caller: environmentCaller(actor),
    hostIds,
    minRole: d.approvalRole,
    doing: `${doing} this deployment`,
  });
  return { id: d.id, environments: d.approvalEnvironments, hostIds, createdAt: d.createdAt };
}
