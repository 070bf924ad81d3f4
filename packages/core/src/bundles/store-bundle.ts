// Stores a bundle (a revision's project files as a tar.gz) for a team, after checking its format
// and limits (inspect-bundle.ts): an invalid bundle is refused whole and nothing is stored.
// Content-addressed and idempotent: the same bytes answer the stored row.
import { createHash } from "node:crypto";
import { BUNDLE_MAX_BYTES } from "@capstan/protocol/bundles";
import type { Db } from "../db";
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

export async function storeBundle(
  db: Db,
  input: { teamId: string; data: Buffer; userId?: string | null },
): Promise<StoredBundle> {
  const { data } = input;
  if (data.byteLength === 0) throw badRequest("The bundle is empty: send the tar.gz as the body.");
  if (data.byteLength > BUNDLE_MAX_BYTES) throw bundleTooLarge(data.byteLength);
  const sha256 = createHash("sha256").update(data).digest("hex");
  const existing = await db.bundle.findUnique({
    where: { teamId_sha256: { teamId: input.teamId, sha256 } },
    select: { id: true, sha256: true, size: true, entries: true },
  });
  if (existing) return existing;
  let entries: number;
  try {
    entries = inspectBundle(data).entries.length;
  } catch (error) {
    if (error instanceof BundleFormatError) throw badRequest(`Invalid bundle: ${error.message}.`);
    throw error;
  }
  const select = { id: true, sha256: true, size: true, entries: true } as const;
  // Two uploads of the same bytes may race past the lookup: the unique index keeps one row.
  return db.bundle.upsert({
    where: { teamId_sha256: { teamId: input.teamId, sha256 } },
    create: {
      teamId: input.teamId,
      sha256,
      size: data.byteLength,
      entries,
      // A copy owning a plain ArrayBuffer, which is what Prisma's Bytes type accepts.
      data: new Uint8Array(data),
      createdById: input.userId ?? null,
    },
    update: {},
    select,
  });
}
