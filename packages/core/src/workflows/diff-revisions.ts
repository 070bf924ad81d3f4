// A line diff between the YAML of two revisions of one workflow, as hunks with line numbers on
// both sides (the `diff` package's structured patch), for the revision history view.
import { structuredPatch } from "diff";
import type { Db } from "../db";
import { getRevision } from "./get-revision";

export interface DiffLine {
  type: "context" | "added" | "removed";
  text: string;
  /** Line in the older revision (context and removed lines). */
  oldLine: number | null;
  /** Line in the newer revision (context and added lines). */
  newLine: number | null;
}

export interface DiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: DiffLine[];
}

export interface RevisionDiff {
  from: { number: number; contentHash: string };
  to: { number: number; contentHash: string };
  /** Both revisions deploy the same thing (only comments or layout differ). */
  sameContent: boolean;
  added: number;
  removed: number;
  hunks: DiffHunk[];
}

export async function diffRevisions(
  db: Db,
  input: { teamId: string; workflowId: string; from: number; to: number; context?: number },
): Promise<RevisionDiff> {
  const [from, to] = await Promise.all([
    getRevision(db, { teamId: input.teamId, workflowId: input.workflowId, number: input.from }),
    getRevision(db, { teamId: input.teamId, workflowId: input.workflowId, number: input.to }),
  ]);
  const patch = structuredPatch(`r${from.number}`, `r${to.number}`, from.source, to.source, "", "", {
    context: Math.min(Math.max(input.context ?? 3, 0), 1000),
  });
  let added = 0;
  let removed = 0;
  const hunks = patch.hunks.map((hunk) => {
    let oldLine = hunk.oldStart;
    let newLine = hunk.newStart;
    const lines: DiffLine[] = [];
    for (const raw of hunk.lines) {
      const marker = raw[0];
      const text = raw.slice(1);
      if (marker === "\\") continue; // "\ No newline at end of file"
      if (marker === "+") {
        added++;
        lines.push({ type: "added", text, oldLine: null, newLine: newLine++ });
      } else if (marker === "-") {
        removed++;
        lines.push({ type: "removed", text, oldLine: oldLine++, newLine: null });
      } else {
        lines.push({ type: "context", text, oldLine: oldLine++, newLine: newLine++ });
      }
    }
    return {
      oldStart: hunk.oldStart,
      oldLines: hunk.oldLines,
      newStart: hunk.newStart,
      newLines: hunk.newLines,
      lines,
    };
  });
  return {
    from: { number: from.number, contentHash: from.contentHash },
    to: { number: to.number, contentHash: to.contentHash },
    sameContent: from.contentHash === to.contentHash,
    added,
    removed,
    hunks,
  };
}
