// The dashboard's "Test connection": can the control plane read this repository with this
// workflow's credentials secret? Answers the branches, or the same clear error a deploy would
// meet. The secret's value is read (as a deploy reads it) and never leaves this function.
import type { Db } from "../db";
import { badRequest } from "../errors";
import type { TeamActor } from "../rbac/team-actor";
import type { Keyring } from "../secrets/keyring";
import { resolveSecrets } from "../secrets/resolve-secrets";
import { listGitBranches } from "./fetch-git-source";

export interface TestGitSourceInput {
  url: string;
  /** Name of the workflow's secret holding a token or deploy key. */
  credentials?: string | null;
  /** The workflow whose secret `credentials` names (a new workflow has none yet). */
  workflowId?: string | null;
  allowPrivate: boolean;
  signal?: AbortSignal;
}

export async function testGitSource(
  db: Db,
  keyring: Keyring | null | undefined,
  actor: TeamActor,
  input: TestGitSourceInput,
): Promise<{ branches: string[] }> {
  let credential: string | undefined;
  if (input.credentials) {
    if (!input.workflowId)
      throw badRequest(
        `Save the workflow and set its secret ${input.credentials} first: the test reads the credentials from the workflow's secrets.`,
      );
    const values = await resolveSecrets(db, keyring, {
      teamId: actor.teamId,
      workflowId: input.workflowId,
      names: [input.credentials],
    });
    credential = values[input.credentials];
  }
  const branches = await listGitBranches({
    url: input.url,
    credential,
    allowPrivate: input.allowPrivate,
    signal: input.signal,
    timeoutMs: 60_000,
  });
  return { branches };
}
