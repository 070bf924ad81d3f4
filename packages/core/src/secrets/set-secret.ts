import type { Db } from "../db";
import type { TeamActor } from "../rbac/team-actor";
import type { Keyring } from "./keyring";
import { requireKeyring } from "./keyring";
import { type WrittenSecret, writeSecrets } from "./write-secrets";

export interface SetSecretInput {
  /** null: a team secret, which every workflow of the team may name. */
  workflowId: string | null;
  name: string;
  value: string;
}

/** Creates or replaces one secret of a workflow or the team. The value is write-only from here on. */
export async function setSecret(
  db: Db,
  keyring: Keyring | null | undefined,
  actor: TeamActor,
  input: SetSecretInput,
): Promise<WrittenSecret> {
  const [written] = await writeSecrets(
    db,
    requireKeyring(keyring),
    actor,
    input.workflowId,
    [{ name: input.name, value: input.value }],
    "api",
  );
  return written!;
}
