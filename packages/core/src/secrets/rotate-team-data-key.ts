// Replaces a team's data key: every secret is opened with the old key and sealed again with a
// new one, and the new key is wrapped by the current KEK, all in one transaction that holds the
// team row FOR UPDATE (writers and readers wait). If any secret cannot be opened nothing changes.
import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { AppError } from "../errors";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { resealWebhookSecrets } from "../webhooks/webhook-secret";
import { EnvelopeError, generateDataKey, openSecret, sealSecret, wrapDataKey } from "./envelope";
import { type Keyring, requireKeyring } from "./keyring";
import { ensureTeamDataKey, openTeamDataKey } from "./team-data-key";

export interface RotateTeamDataKeyResult {
  dataKeyId: string;
  kekId: string;
  secrets: number;
}

export async function rotateTeamDataKey(
  db: Db,
  keyring: Keyring | null | undefined,
  actor: TeamActor,
): Promise<RotateTeamDataKeyResult> {
  const ring = requireKeyring(keyring);
  const { teamId } = actor;
  await ensureTeamDataKey(db, ring, teamId);
  return withTransaction(
    db,
    async (tx) => {
      const oldKey = await openTeamDataKey(tx, ring, teamId, "update");
      const newKey = generateDataKey();
      try {
        const secrets = await tx.secret.findMany({
          where: { teamId },
          select: { id: true, workflowId: true, name: true, ciphertext: true, keyId: true, updatedAt: true },
        });
        for (const secret of secrets) {
          const ref = { teamId, workflowId: secret.workflowId, name: secret.name };
          let value: string;
          try {
            if (secret.keyId !== oldKey.id)
              throw new EnvelopeError(`sealed with unknown data key ${secret.keyId}`);
            value = openSecret(oldKey, ref, secret.ciphertext);
          } catch (error) {
            if (!(error instanceof EnvelopeError)) throw error;
            throw new AppError(
              "CONFLICT",
              `Secret ${secret.name} cannot be decrypted (${error.message}); nothing was rotated. Delete or re-set it first.`,
            );
          }
          await tx.secret.update({
            where: { id: secret.id },
            // Keep updatedAt: re-sealing is not a change of value people should see in the list.
            data: {
              ciphertext: new Uint8Array(sealSecret(newKey, ref, value)),
              keyId: newKey.id,
              updatedAt: secret.updatedAt,
            },
          });
        }
        // Webhook and push hook signing secrets are sealed by the same data key.
        await resealWebhookSecrets(tx, teamId, oldKey, newKey);
        const wrapped = wrapDataKey(newKey, { id: ring.currentKeyId, key: ring.currentKey() }, teamId);
        await tx.team.update({
          where: { id: teamId },
          data: { wrappedDataKey: new Uint8Array(wrapped), dataKeyKekId: ring.currentKeyId },
        });
        await recordAuditEvent(tx, {
          teamId,
          actor: auditActor(actor),
          kind: "secret.data_key_rotated",
          target: { type: "team", id: teamId },
          data: {
            previousDataKeyId: oldKey.id,
            dataKeyId: newKey.id,
            kekId: ring.currentKeyId,
            secrets: secrets.length,
          },
        });
        return { dataKeyId: newKey.id, kekId: ring.currentKeyId, secrets: secrets.length };
      } finally {
        oldKey.key.fill(0);
        newKey.key.fill(0);
      }
    },
    { timeout: 60_000 },
  );
}
