import type { Db } from "../db";
import type { TeamActor } from "../rbac/team-actor";
import { findSecretWorkflow } from "./find-secret-workflow";
import { type EnvFileIssue, parseEnvFile } from "./parse-env-file";

export interface EnvFilePreviewEntry {
  name: string;
  line: number;
  length: number;
  /** Bullets, with the first two characters only for values of 12+ characters. */
  masked: string;
  /** A secret with this name exists and would be replaced. */
  replaces: boolean;
}

export interface EnvFilePreview {
  secrets: EnvFilePreviewEntry[];
  issues: EnvFileIssue[];
}

export function maskSecretValue(value: string): string {
  // Short values reveal too much from any prefix; long ones show just enough to recognise them.
  const chars = [...value];
  return chars.length >= 12 ? `${chars.slice(0, 2).join("")}••••••••` : "••••••••";
}

/**
 * Step one of importing a .env file: what would be saved (names and masked previews, never
 * values) and what is wrong with it. Nothing is written; saveEnvFileSecrets does that.
 */
export async function importEnvFile(
  db: Db,
  actor: Pick<TeamActor, "teamId">,
  input: { workflowId: string; text: string },
): Promise<EnvFilePreview> {
  const workflow = await findSecretWorkflow(db, actor.teamId, input.workflowId);
  const { entries, issues } = parseEnvFile(input.text);
  const existing = await db.secret.findMany({
    where: { teamId: actor.teamId, workflowId: workflow.id, name: { in: entries.map((e) => e.name) } },
    select: { name: true },
  });
  const taken = new Set(existing.map((s) => s.name));
  return {
    secrets: entries.map((e) => ({
      name: e.name,
      line: e.line,
      length: [...e.value].length,
      masked: maskSecretValue(e.value),
      replaces: taken.has(e.name),
    })),
    issues,
  };
}
