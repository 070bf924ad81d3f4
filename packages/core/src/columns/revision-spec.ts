// Revision.spec: the normalised workflow spec a revision stores. Read back through the workflow
// schema, never cast, so a spec an older format wrote (or a hand-edited row) is noticed.
import { type WorkflowSpec, workflowSpecSchema } from "@capstan/templates";
import { conflict } from "../errors";
import { parseColumnOr } from "./parse-column";

/** The stored spec, or null when it no longer validates. */
export function readRevisionSpec(value: unknown): WorkflowSpec | null {
  return parseColumnOr(workflowSpecSchema, value, null);
}

export const STALE_SPEC_MESSAGE = "This revision's stored spec no longer validates; save the workflow again.";

/** The stored spec of a revision about to be deployed; a stale one is a conflict the user can fix. */
export function requireRevisionSpec(value: unknown): WorkflowSpec {
  const spec = readRevisionSpec(value);
  if (!spec) throw conflict(STALE_SPEC_MESSAGE);
  return spec;
}
