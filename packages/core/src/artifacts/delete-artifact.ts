import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { notFound } from "../errors";
import { isUuid } from "../ids";
import { auditActor, type TeamActor } from "../rbac/team-actor";

/**
 * Deletes one artifact version by id. Deployments already unpacked on hosts keep running; a later
 * deployment that references it fails on download with "not found".
 */
export async function deleteArtifact(db: Db, actor: TeamActor, input: { id: string }): Promise<void> {
  if (!isUuid(input.id)) throw notFound("Artifact");
  await withTransaction(db, async (tx) => {
    const row = await tx.artifact.findFirst({
      where: { id: input.id, teamId: actor.teamId },
      select: { id: true, name: true, sha256: true, size: true },
    });
    if (!row) throw notFound("Artifact");
    await tx.artifact.delete({ where: { id: row.id } });
    await recordAuditEvent(tx, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "artifact.deleted",
      target: { type: "artifact", id: row.id },
      data: { name: row.name, sha256: row.sha256, size: row.size },
    });
  });
}
