// A webhook's signing secret (outgoing webhooks and incoming push hooks) is sealed by the team's
// data key, exactly like a workflow secret. Its envelope reference puts the hook kind ("webhook"
// or "push-hook") in the workflow slot and the hook id in the name slot: no workflow secret can
// have that reference (workflow ids are UUIDs), and a ciphertext copied to another hook, another
// kind of hook or another team fails to open.
import { randomBytes } from "node:crypto";
import { type Db, withTransaction } from "../db";
import { AppError } from "../errors";
import { type DataKey, EnvelopeError, openSecret, type SecretRef, sealSecret } from "../secrets/envelope";
import { type Keyring, requireKeyring } from "../secrets/keyring";
import { ensureTeamDataKey, openTeamDataKey } from "../secrets/team-data-key";

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

/** Which table the hook lives in; part of the sealed secret's reference. */
export type HookKind = "webhook" | "push-hook";

const refFor = (teamId: string, hookId: string, kind: HookKind): SecretRef => ({
  teamId,
  workflowId: kind,
  name: hookId,
});

export interface SealedWebhookSecret {
  secretCiphertext: Uint8Array<ArrayBuffer>;
  secretKeyId: string;
}

export function sealWebhookSecret(
  dek: DataKey,
  teamId: string,
  webhookId: string,
  secret: string,
  kind: HookKind = "webhook",
): SealedWebhookSecret {
  return {
    secretCiphertext: new Uint8Array(sealSecret(dek, refFor(teamId, webhookId, kind), secret)),
    secretKeyId: dek.id,
  };
}

export function openWebhookSecret(
  dek: DataKey,
  webhook: { id: string; teamId: string; secretCiphertext: Uint8Array; secretKeyId: string },
  kind: HookKind = "webhook",
): string {
  try {
    if (webhook.secretKeyId !== dek.id)
      throw new EnvelopeError(`sealed with data key ${webhook.secretKeyId}, which this team no longer has`);
    return openSecret(dek, refFor(webhook.teamId, webhook.id, kind), webhook.secretCiphertext);
  } catch (error) {
    if (!(error instanceof EnvelopeError)) throw error;
    throw new AppError(
      "UNAVAILABLE",
      `The ${kind}'s signing secret cannot be decrypted (${error.message}); roll a new secret for it.`,
    );
  }
}

/**
 * Runs `fn` with the team's data key while the team row is held FOR SHARE, so a data key
 * rotation cannot replace the key between sealing and saving.
 */
export async function withTeamDataKey<T>(
  db: Db,
  keyring: Keyring | null | undefined,
  teamId: string,
  fn: (tx: Db, dek: DataKey) => Promise<T>,
): Promise<T> {
  const ring = requireKeyring(keyring);
  await ensureTeamDataKey(db, ring, teamId);
  return withTransaction(db, async (tx) => {
    const dek = await openTeamDataKey(tx, ring, teamId, "share");
    try {
      return await fn(tx, dek);
    } finally {
      dek.key.fill(0);
    }
  });
}

/**
 * Called by a team data key rotation (inside its transaction): re-seals every webhook and push
 * hook secret.
 */
export async function resealWebhookSecrets(
  tx: Db,
  teamId: string,
  oldKey: DataKey,
  newKey: DataKey,
): Promise<number> {
  const select = { id: true, teamId: true, secretCiphertext: true, secretKeyId: true, updatedAt: true };
  const webhooks = await tx.webhook.findMany({ where: { teamId }, select });
  const pushHooks = await tx.pushHook.findMany({ where: { teamId }, select });
  for (const webhook of webhooks) {
    const secret = openWebhookSecret(oldKey, webhook);
    await tx.webhook.update({
      where: { id: webhook.id },
      data: { ...sealWebhookSecret(newKey, teamId, webhook.id, secret), updatedAt: webhook.updatedAt },
    });
  }
  for (const hook of pushHooks) {
    const secret = openWebhookSecret(oldKey, hook, "push-hook");
    await tx.pushHook.update({
      where: { id: hook.id },
      data: { ...sealWebhookSecret(newKey, teamId, hook.id, secret, "push-hook"), updatedAt: hook.updatedAt },
    });
  }
  return webhooks.length + pushHooks.length;
}
