import { createHash } from "node:crypto";
import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { badRequest, conflict } from "../errors";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { artifactTooLarge, checkArtifactName, MAX_ARTIFACT_BYTES } from "./artifact-rules";

export interface UploadedArtifact {
  id: string;
  name: string;
  sha256: string;
  size: number;
  /** False when the same name and bytes were already stored (the upload is idempotent). */
  created: boolean;
}

/**
 * Stores an artifact for the caller's team. Uploading a name again with other bytes adds a new
 * version (workflows pin one by sha256; without it agents get the newest). Identical bytes under
 * the same name answer the existing version; under another name they are refused, since the
 * team's artifacts are unique by sha256.
 */
export async function uploadArtifact(
  db: Db,
  actor: TeamActor,
  input: { name: string; data: Uint8Array },
): Promise<UploadedArtifact> {
  checkArtifactName(input.name);
  if (input.data.byteLength === 0) throw badRequest("The artifact is empty: send the file as the body.");
  if (input.data.byteLength > MAX_ARTIFACT_BYTES) throw artifactTooLarge(input.data.byteLength);
  const sha256 = createHash("sha256").update(input.data).digest("hex");
  const size = input.data.byteLength;

  return withTransaction(db, async (tx) => {
    const existing = await tx.artifact.findUnique({
      where: { teamId_sha256: { teamId: actor.teamId, sha256 } },
      select: { id: true, name: true },
    });
    if (existing) {
      if (existing.name !== input.name) {
        throw conflict(`These exact bytes are already uploaded as "${existing.name}" (sha256 ${sha256}).`);
      }
      return { id: existing.id, name: input.name, sha256, size, created: false };
    }
    const row = await tx.artifact.create({
      data: {
        teamId: actor.teamId,
        name: input.name,
        sha256,
        size,
        // A copy owning a plain ArrayBuffer, which is what Prisma's Bytes type accepts.
        data: new Uint8Array(input.data),
        createdById: actor.userId,
      },
      select: { id: true },
    });
    await recordAuditEvent(tx, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "artifact.uploaded",
      target: { type: "artifact", id: row.id },
      data: { name: input.name, sha256, size },
    });
    return { id: row.id, name: input.name, sha256, size, created: true };
  });
}
