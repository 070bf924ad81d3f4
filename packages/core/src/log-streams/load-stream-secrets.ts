import type { Db } from "../db";
import type { Keyring } from "../secrets/keyring";
import { resolveSecrets } from "../secrets/resolve-secrets";

/**
 * Every secret value the stream's workflow can see (its own and the team's), decrypted once when the stream opens, for masking.
 * A secret that cannot be decrypted refuses the stream (resolveSecrets throws naming it): lines
 * that cannot be masked are not shown.
 */
export async function loadStreamSecrets(
  db: Db,
  keyring: Keyring | null | undefined,
  args: { teamId: string; workflowId: string },
): Promise<string[]> {
  const rows = await db.secret.findMany({
    // The team's secrets too: a workflow may name any of them.
    where: { teamId: args.teamId, OR: [{ workflowId: args.workflowId }, { workflowId: null }] },
    select: { name: true },
  });
  const values = await resolveSecrets(db, keyring, { ...args, names: rows.map((r) => r.name) });
  return Object.values(values);
}
