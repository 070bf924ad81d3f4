// The workflow toolchain (packages/templates/src/workflow) reports issues as data; here they
// become the BAD_REQUEST application error the transports map to 400 / tRPC BAD_REQUEST.
import {
  type ValidateWorkflowOptions,
  validateWorkflow,
} from "@capstan/templates/workflow/validate-workflow";
import { formatWorkflowIssue, type WorkflowIssue } from "@capstan/templates/workflow/workflow-issue";
import { badRequest } from "../errors";

/** The error for a workflow that cannot be saved: the first issues in the message, all in the details. */
export function invalidWorkflow(issues: WorkflowIssue[]) {
  const first = issues.slice(0, 3).map(formatWorkflowIssue).join("; ");
  return badRequest(`The workflow is invalid: ${first}${issues.length > 3 ? "; ..." : ""}`, {
    issues: issues.map((issue) => ({ ...issue, text: formatWorkflowIssue(issue) })),
  });
}

/** Throws BAD_REQUEST with every issue in `details.issues` when the workflow is invalid. */
export function assertValidWorkflow(source: string, options: ValidateWorkflowOptions = {}) {
  const result = validateWorkflow(source, options);
  if (!result.ok) throw invalidWorkflow(result.issues);
  return result;
}
