// After a new KEK is put first in CAPSTAN_SECRETS_KEY, this re-wraps every team's data key with
// it. Secrets themselves are untouched (they are sealed by the data keys, which stay the same).
// Once it reports no failures the old KEK can be removed from the keyring.
import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { isAppError } from "../errors";
import { wrapDataKey } from "./envelope";
import type { Keyring } from "./keyring";
import { unwrapTeamDataKey } from "./team-data-key";

interface TeamKeyRow {
  wrappedDataKey: Uint8Array | null;
  dataKeyKekId: string | null;
}

export interface RewrapDataKeysResult {
  kekId: string;
  rewrapped: number;
  alreadyCurrent: number;
  failed: { teamId: string; reason: string }[];
}

export async function rewrapDataKeys(db: Db, keyring: Keyring): Promise<RewrapDataKeysResult> {
  const kekId = keyring.currentKeyId;
  const teams = await db.team.findMany({
    where: { wrappedDataKey: { not: null } },
    select: { id: true, dataKeyKekId: true },
    orderBy: { id: "asc" },
  });
  const result: RewrapDataKeysResult = { kekId, rewrapped: 0, alreadyCurrent: 0, failed: [] };
  for (const team of teams) {
    if (team.dataKeyKekId === kekId) {
      result.alreadyCurrent += 1;
      continue;
    }
    try {
      const changed = await withTransaction(db, async (tx) => {
        const [row] = await tx.$queryRaw<TeamKeyRow[]>`
          SELECT "wrappedDataKey", "dataKeyKekId" FROM "Team" WHERE id = ${team.id}::uuid FOR UPDATE`;
        if (!row?.wrappedDataKey || !row.dataKeyKekId || row.dataKeyKekId === kekId) return false;
        const dek = unwrapTeamDataKey(keyring, team.id, row.wrappedDataKey, row.dataKeyKekId);
        try {
          const wrapped = wrapDataKey(dek, { id: kekId, key: keyring.currentKey() }, team.id);
          await tx.team.update({
            where: { id: team.id },
            data: { wrappedDataKey: new Uint8Array(wrapped), dataKeyKekId: kekId },
          });
          await recordAuditEvent(tx, {
            teamId: team.id,
            actor: { type: "SYSTEM", label: "secrets key rotation" },
            kind: "secret.data_key_rewrapped",
            target: { type: "team", id: team.id },
            data: { dataKeyId: dek.id, fromKekId: row.dataKeyKekId, toKekId: kekId },
          });
        } finally {
          dek.key.fill(0);
        }
        return true;
      });
      if (changed) result.rewrapped += 1;
      else result.alreadyCurrent += 1;
    } catch (error) {
      if (!isAppError(error)) throw error;
      result.failed.push({ teamId: team.id, reason: error.message });
    }
  }
  return result;
}
