// The deploy path's only way to read secret values: the job engine calls it when a job is
// claimed. A name comes from the workflow's own secrets, else from the team's. Any secret that is missing or cannot be decrypted throws, naming the secret (never a
// value), so the deploy fails instead of starting with an empty or wrong value.

import { type Db, withTransaction } from "../db";
import { AppError, isAppError } from "../errors";
import { type DataKey, EnvelopeError, openSecret } from "./envelope";
import { findSecretWorkflow } from "./find-secret-workflow";
import { type Keyring, requireKeyring } from "./keyring";
import { checkSecretName } from "./secret-rules";
import { lockTeamKeyRow, unwrapTeamDataKey } from "./team-data-key";

export interface ResolveSecretsInput {
  teamId: string;
  workflowId: string;
  names: string[];
}

function cannotDecrypt(names: string[], workflow: string, reason: string): AppError {
  const what = names.length === 1 ? `Secret ${names[0]}` : `Secrets ${names.join(", ")}`;
  return new AppError("CONFLICT", `${what} of workflow "${workflow}" cannot be decrypted: ${reason}`, {
    secrets: names,
  });
}

export async function resolveSecrets(
  db: Db,
  keyring: Keyring | null | undefined,
  input: ResolveSecretsInput,
): Promise<Record<string, string>> {
  const names = [...new Set(input.names)];
  if (names.length === 0) return {};
  for (const name of names) checkSecretName(name);
  const { teamId, workflowId } = input;

  return withTransaction(db, async (tx) => {
    const workflow = await findSecretWorkflow(tx, teamId, workflowId);
    // Lock the team row (FOR SHARE) before reading secrets: a data key rotation running now
    // either finishes first or waits, so the secrets and the key we read always match.
    const keyRow = await lockTeamKeyRow(tx, teamId, "share");
    const rows = await tx.secret.findMany({
      where: { teamId, OR: [{ workflowId }, { workflowId: null }], name: { in: names } },
      select: { name: true, workflowId: true, ciphertext: true, keyId: true },
    });
    // A workflow's own secret wins over the team secret of the same name.
    const found = new Map(
      rows
        .sort((a, b) => Number(a.workflowId !== null) - Number(b.workflowId !== null))
        .map((r) => [r.name, r]),
    );
    const missing = names.filter((n) => !found.has(n));
    if (missing.length > 0) {
      const what = missing.length === 1 ? `Secret ${missing[0]} is` : `Secrets ${missing.join(", ")} are`;
      throw new AppError(
        "CONFLICT",
        `${what} not set for workflow "${workflow.name}" nor for the team; set it before deploying.`,
        {
          secrets: missing,
        },
      );
    }
    if (!keyRow)
      throw cannotDecrypt(
        names,
        workflow.name,
        "the team has no secrets data key (was the Team row restored from another backup?).",
      );

    let dek: DataKey;
    try {
      dek = unwrapTeamDataKey(requireKeyring(keyring), teamId, keyRow.wrappedDataKey!, keyRow.dataKeyKekId!);
    } catch (error) {
      if (isAppError(error)) throw cannotDecrypt(names, workflow.name, error.message);
      throw error;
    }
    try {
      const values: Record<string, string> = {};
      for (const name of names) {
        const row = found.get(name)!;
        if (row.keyId !== dek.id) {
          throw cannotDecrypt(
            [name],
            workflow.name,
            `it was sealed with data key ${row.keyId}, but the team's data key is ${dek.id} (were the Team and Secret rows restored from different backups?).`,
          );
        }
        try {
          values[name] = openSecret(dek, { teamId, workflowId: row.workflowId, name }, row.ciphertext);
        } catch (error) {
          if (!(error instanceof EnvelopeError)) throw error;
          throw cannotDecrypt([name], workflow.name, `${error.message}.`);
        }
      }
      return values;
    } finally {
      dek.key.fill(0);
    }
  });
}
