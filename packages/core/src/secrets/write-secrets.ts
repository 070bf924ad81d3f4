// The one place secrets are sealed and stored, shared by setSecret and the .env import so both
// take the same locks, keep the same rules and write the same audit events.
import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { badRequest } from "../errors";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { sealSecret } from "./envelope";
import { findSecretWorkflow } from "./find-secret-workflow";
import type { Keyring } from "./keyring";
import { checkSecretValue, checkWritableSecretName, MAX_SECRETS_PER_WRITE } from "./secret-rules";
import { ensureTeamDataKey, openTeamDataKey } from "./team-data-key";

export interface SecretWrite {
  name: string;
  value: string;
}

export interface WrittenSecret {
  id: string;
  name: string;
  created: boolean;
  updatedAt: Date;
}

export async function writeSecrets(
  db: Db,
  keyring: Keyring,
  actor: TeamActor,
  /** null: team secrets, which every workflow of the team may name. */
  workflowId: string | null,
  writes: SecretWrite[],
  source: "api" | "env-file",
): Promise<WrittenSecret[]> {
  if (writes.length > MAX_SECRETS_PER_WRITE)
    throw badRequest(`At most ${MAX_SECRETS_PER_WRITE} secrets at once.`);
  const names = new Set<string>();
  for (const { name, value } of writes) {
    checkWritableSecretName(name);
    checkSecretValue(name, value);
    if (names.has(name)) throw badRequest(`${name} is given twice.`);
    names.add(name);
  }
  const { teamId } = actor;
  if (workflowId) await findSecretWorkflow(db, teamId, workflowId);
  await ensureTeamDataKey(db, keyring, teamId);

  return withTransaction(
    db,
    async (tx) => {
      const workflow = workflowId ? await findSecretWorkflow(tx, teamId, workflowId) : null;
      const dek = await openTeamDataKey(tx, keyring, teamId, "share");
      try {
        const existing = await tx.secret.findMany({
          where: { workflowId, teamId, name: { in: [...names] } },
          select: { name: true },
        });
        const existed = new Set(existing.map((s) => s.name));
        const written: WrittenSecret[] = [];
        for (const { name, value } of writes) {
          const ciphertext = new Uint8Array(sealSecret(dek, { teamId, workflowId, name }, value));
          const row = await upsertSecret(
            tx,
            { teamId, workflowId, name },
            {
              ciphertext,
              keyId: dek.id,
              updatedById: actor.userId,
            },
          );
          const created = !existed.has(name);
          await recordAuditEvent(tx, {
            teamId,
            actor: auditActor(actor),
            kind: "secret.written",
            target: { type: "secret", id: row.id },
            data: workflow
              ? { name, workflowId, workflow: workflow.name, created, source }
              : { name, scope: "team", created, source },
          });
          written.push({ ...row, created });
        }
        return written;
      } finally {
        dek.key.fill(0);
      }
    },
    { timeout: 30_000 },
  );
}

/**
 * Prisma's upsert needs a unique key, and a team secret's is a partial index Prisma cannot name:
 * look up, then update or create (the index still refuses a concurrent duplicate).
 */
async function upsertSecret(
  tx: Db,
  ref: { teamId: string; workflowId: string | null; name: string },
  data: { ciphertext: Uint8Array<ArrayBuffer>; keyId: string; updatedById: string | null },
) {
  const select = { id: true, name: true, updatedAt: true } as const;
  const existing = await tx.secret.findFirst({ where: ref, select: { id: true } });
  if (existing) return tx.secret.update({ where: { id: existing.id }, data, select });
  return tx.secret.create({ data: { ...ref, ...data }, select });
}
