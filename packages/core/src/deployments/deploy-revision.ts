// "Deploy this revision": to the hosts chosen in the dialog, or else to the hosts its workflow
// targets. Planning, audit and waking the agents are createDeployment's job.
import type { PrismaClient } from "@capstan/db";
import { workflowSpecSchema } from "@capstan/templates";
import type { Actor } from "../audit/record-audit-event";
import { badRequest, conflict, notFound } from "../errors";
import { isUuid } from "../ids";
import { type CreatedDeployment, createDeployment } from "./create-deployment";
import { resolveTargetHosts } from "./resolve-target-hosts";

export async function deployRevision(
  db: PrismaClient,
  args: {
    teamId: string;
    revisionId: string;
    hostIds?: string[];
    actor: Actor;
    createdById?: string | null;
    apiTokenId?: string | null;
    idempotencyKey?: string | null;
  },
): Promise<CreatedDeployment> {
  let hostIds = args.hostIds;
  if (hostIds && hostIds.length === 0)
    throw badRequest("Choose at least one host, or deploy to the workflow's targets.");
  if (!hostIds) {
    if (!isUuid(args.revisionId)) throw notFound("Revision");
    const revision = await db.revision.findFirst({
      where: { id: args.revisionId, workflow: { teamId: args.teamId } },
      select: { spec: true },
    });
    if (!revision) throw notFound("Revision");
    const spec = workflowSpecSchema.safeParse(revision.spec);
    if (!spec.success)
      throw conflict("This revision's stored spec no longer validates; save the workflow again.");
    const hosts = await resolveTargetHosts(db, { teamId: args.teamId, targets: spec.data.targets });
    hostIds = hosts.map((h) => h.id);
  }
  return createDeployment(db, {
    teamId: args.teamId,
    revisionId: args.revisionId,
    hostIds,
    actor: args.actor,
    createdById: args.createdById ?? null,
    apiTokenId: args.apiTokenId ?? null,
    idempotencyKey: args.idempotencyKey ?? null,
  });
}
