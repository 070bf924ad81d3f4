import type { Db } from "../db";
import { badRequest } from "../errors";
import type { TeamActor } from "../rbac/team-actor";
import { type Keyring, requireKeyring } from "./keyring";
import { parseEnvFile } from "./parse-env-file";
import { type WrittenSecret, writeSecrets } from "./write-secrets";

/**
 * Step two of importing a .env file: saves every entry in one transaction. All or nothing: a
 * file with any issue is refused whole, so a half-imported environment never reaches a deploy.
 */
export async function saveEnvFileSecrets(
  db: Db,
  keyring: Keyring | null | undefined,
  actor: TeamActor,
  input: { workflowId: string; text: string },
): Promise<WrittenSecret[]> {
  const ring = requireKeyring(keyring);
  const { entries, issues } = parseEnvFile(input.text);
  if (issues.length > 0) {
    throw badRequest(`The .env text has ${issues.length} problem(s); fix them and import again.`, { issues });
  }
  if (entries.length === 0) throw badRequest("The .env text has no NAME=value lines.");
  return writeSecrets(
    db,
    ring,
    actor,
    input.workflowId,
    entries.map(({ name, value }) => ({ name, value })),
    "env-file",
  );
}
