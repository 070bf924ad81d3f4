// Stores a bundle (a revision's project files as a tar.gz) for a team, after checking its format
// and limits (inspect-bundle.ts): an invalid bundle is refused whole and nothing is stored.
// Content-addressed and idempotent: the same bytes answer the stored row.
import { createHash } from "node:crypto";
import { BUNDLE_MAX_BYTES } from "@capstan/protocol/bundles";
import { type Actor, recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { AppError, badRequest } from "../errors";
import { BundleFormatError, inspectBundle } from "./inspect-bundle";

export interface StoredBundle {
  id: string;
  sha256: string;
  size: number;
  entries: number;
}

export function bundleTooLarge(size?: number): AppError {
  const got = size === undefined ? "" : ` (got ${size} bytes)`;
  return new AppError(
    "PAYLOAD_TOO_LARGE",
    `The bundle is too large${got}: the limit is ${BUNDLE_MAX_BYTES / 1024 / 1024} MiB compressed (BUNDLE_MAX_BYTES). Add large files that are not needed to run the project to .capstanignore.`,
  );
}

const SELECT = { id: true, sha256: true, size: true, entries: true } as const;

export async function storeBundle(
  db: Db,
  input: {
    teamId: string;
    data: Buffer;
    userId?: string | null;
    /** Who stored it, for the audit log (a new bundle only; the same bytes again are no change). */
    actor?: Actor;
  },
): Promise<StoredBundle> {
  const { data } = input;
  if (data.byteLength === 0) throw badRequest("The bundle is empty: send the tar.gz as the body.");
  if (data.byteLength > BUNDLE_MAX_BYTES) throw bundleTooLarge(data.byteLength);
  const sha256 = createHash("sha256").update(data).digest("hex");
  const existing = await db.bundle.findUnique({
    where: { teamId_sha256: { teamId: input.teamId, sha256 } },
    select: SELECT,
  });
  if (existing) return existing;
  let entries: number;
  try {
    entries = inspectBundle(data).entries.length;
  } catch (error) {
    if (error instanceof BundleFormatError) throw badRequest(`Invalid bundle: ${error.message}.`);
    throw error;
  }
  try {
    return await withTransaction(db, async (tx) => {
      const row = await tx.bundle.create({
        data: {
          teamId: input.teamId,
          sha256,
          size: data.byteLength,
          entries,
          // A copy owning a plain ArrayBuffer, which is what Prisma's Bytes type accepts.
          data: new Uint8Array(data),
          createdById: input.userId ?? null,
        },
        select: SELECT,
      });
      if (input.actor)
        await recordAuditEvent(tx, {
          teamId: input.teamId,
          actor: input.actor,
          kind: "bundle.stored",
          target: { type: "bundle", id: row.id },
          data: { sha256, size: row.size, entries },
        });
      return row;
    });
  } catch (error) {
    // Two uploads of the same bytes raced past the lookup: the unique index kept the other one.
    if ((error as { code?: string } | null)?.code !== "P2002") throw error;
    return db.bundle.findUniqueOrThrow({
      where: { teamId_sha256: { teamId: input.teamId, sha256 } },
      select: SELECT,
    });
  }
}
