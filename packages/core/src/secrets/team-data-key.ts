// Loading a team's data key. Writers hold the team row FOR SHARE while they seal, and key
// rotation holds it FOR UPDATE while it re-seals, so no secret is ever written under a data key
// that is being replaced.

import type { Db } from "../db";
import { AppError, notFound } from "../errors";
import { isUuid } from "../ids";
import { type DataKey, EnvelopeError, generateDataKey, unwrapDataKey, wrapDataKey } from "./envelope";
import type { Keyring } from "./keyring";

export interface TeamKeyRow {
  wrappedDataKey: Uint8Array | null;
  dataKeyKekId: string | null;
}

/** Gives the team a data key if it has none; concurrent callers agree on one key. */
export async function ensureTeamDataKey(db: Db, keyring: Keyring, teamId: string): Promise<void> {
  if (!isUuid(teamId)) throw notFound("Team");
  const dek = generateDataKey();
  try {
    const wrapped = wrapDataKey(dek, { id: keyring.currentKeyId, key: keyring.currentKey() }, teamId);
    // Only fills an empty slot: a key someone else just stored must never be overwritten, or
    // the secrets they sealed with it would become unreadable.
    await db.team.updateMany({
      where: { id: teamId, wrappedDataKey: null },
      data: { wrappedDataKey: new Uint8Array(wrapped), dataKeyKekId: keyring.currentKeyId },
    });
  } finally {
    dek.key.fill(0);
  }
}

export type TeamLock = "share" | "update";

/** Locks the team row and returns its wrapped data key (null when the team has none yet). */
export async function lockTeamKeyRow(db: Db, teamId: string, lock: TeamLock): Promise<TeamKeyRow | null> {
  if (!isUuid(teamId)) throw notFound("Team");
  const rows =
    lock === "update"
      ? await db.$queryRaw<
          TeamKeyRow[]
        >`SELECT "wrappedDataKey", "dataKeyKekId" FROM "Team" WHERE id = ${teamId}::uuid FOR UPDATE`
      : await db.$queryRaw<
          TeamKeyRow[]
        >`SELECT "wrappedDataKey", "dataKeyKekId" FROM "Team" WHERE id = ${teamId}::uuid FOR SHARE`;
  const row = rows[0];
  if (!row) throw notFound("Team");
  return row.wrappedDataKey && row.dataKeyKekId ? row : null;
}

/** Locks the team row and opens its data key; throws NOT_FOUND / UNAVAILABLE with a clear reason. */
export async function openTeamDataKey(
  db: Db,
  keyring: Keyring,
  teamId: string,
  lock: TeamLock,
): Promise<DataKey> {
  const row = await lockTeamKeyRow(db, teamId, lock);
  if (!row) throw new AppError("UNAVAILABLE", "This team has no secrets data key yet; save a secret first.");
  return unwrapTeamDataKey(keyring, teamId, row.wrappedDataKey!, row.dataKeyKekId!);
}

export function unwrapTeamDataKey(
  keyring: Keyring,
  teamId: string,
  wrapped: Uint8Array,
  kekId: string,
): DataKey {
  const kek = keyring.key(kekId);
  if (!kek) {
    throw new AppError(
      "UNAVAILABLE",
      `This team's secrets data key is wrapped by key-encryption key "${kekId}", which the configured secrets key (CAPSTAN_SECRETS_KEY) does not hold. Add that key to the keyring (it may be listed after the current one).`,
    );
  }
  try {
    return unwrapDataKey(wrapped, { id: kekId, key: kek }, teamId);
  } catch (error) {
    if (!(error instanceof EnvelopeError)) throw error;
    throw new AppError(
      "UNAVAILABLE",
      `This team's secrets data key cannot be opened with key-encryption key "${kekId}": ${error.message}. Check that CAPSTAN_SECRETS_KEY is the key this database was created with.`,
    );
  }
}
