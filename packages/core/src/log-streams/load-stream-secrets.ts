import type { Db } from "../db";
import type { Keyring } from "../secrets/keyring";
import { resolveSecrets } from "../secrets/resolve-secrets";

/**
 * Every secret value of the stream's workflow, decrypted once when the stream opens, for masking.
 * A secret that cannot be decrypted refuses the stream (resolveSecrets throws naming it): lines
 * that cannot be masked are not shown.
 */
export async function loadStreamSecrets(
  db: Db,
  keyring: Keyring | null | undefined,
  args: { teamId: string; workflowId: string },
): Promise<string[]> {
  const rows = await db.secret.findMany({
    where: { teamId: args.teamId, workflowId: args.workflowId },
    select: { name: true },
  });
  const values = await resolveSecrets(db, keyring, { ...args, names: rows.map((r) => r.name) });
  return Object.values(values);
}
