// The workflow toolchain (packages/templates/src/workflow) reports issues as data; here they
// become application errors: BAD_REQUEST (400) for a workflow that is invalid anywhere, and
// UNPROCESSABLE (422) for a valid one that its target hosts' policy refuses, so a caller can tell
// "fix the document" from "ask the host's admin for the named policy key". Issues only in
// `services.<name>.domains` or `tls` are 422 too (issue 15): the document parses, but a domain
// value (host name, path, port, header) is refused, and the clash check answers 422 as well, so
// every domain refusal has the same status and names its field.
import {
  type ValidateWorkflowOptions,
  validateWorkflow,
} from "@capstan/templates/workflow/validate-workflow";
import { formatWorkflowIssue, type WorkflowIssue } from "@capstan/templates/workflow/workflow-issue";
import { badRequest, unprocessable } from "../errors";

/** The first issues in a message, all of them in the details. */
function describeIssues(issues: WorkflowIssue[]) {
  const first = issues.slice(0, 3).map(formatWorkflowIssue).join("; ");
  return {
    summary: `${first}${issues.length > 3 ? "; ..." : ""}`,
    details: { issues: issues.map((issue) => ({ ...issue, text: formatWorkflowIssue(issue) })) },
  };
}

/** The error for a workflow that cannot be saved: the first issues in the message, all in the details. */
export function invalidWorkflow(issues: WorkflowIssue[]) {
  const { summary, details } = describeIssues(issues);
  if (issues.length > 0 && issues.every(isDomainIssue))
    return unprocessable(`A domain of this workflow is invalid: ${summary}`, details);
  return badRequest(`The workflow is invalid: ${summary}`, details);
}

/** `services.<name>.domains...` or `tls...`: the domain settings (domain-spec.ts). */
function isDomainIssue(issue: WorkflowIssue): boolean {
  const [first, , third] = issue.path;
  return first === "tls" || (first === "services" && third === "domains");
}

/** The error for a valid workflow that a target host's policy refuses; each issue names the host and key. */
export function refusedByHostPolicy(issues: WorkflowIssue[]) {
  const { summary, details } = describeIssues(issues);
  return unprocessable(`The target hosts' policy refuses this workflow: ${summary}`, details);
}

/** The error for a domain another workflow already routes on a shared host (find-domain-clashes.ts). */
export function domainInUse(issues: WorkflowIssue[]) {
  const { summary, details } = describeIssues(issues);
  return unprocessable(`A domain of this workflow is already in use on its hosts: ${summary}`, details);
}

/** Throws BAD_REQUEST (UNPROCESSABLE for domain-only issues) with every issue in `details.issues` when the workflow is invalid. */
export function assertValidWorkflow(source: string, options: ValidateWorkflowOptions = {}) {
  const result = validateWorkflow(source, options);
  if (!result.ok) throw invalidWorkflow(result.issues);
  return result;
}
