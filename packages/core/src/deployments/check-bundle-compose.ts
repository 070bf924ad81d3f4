// A Compose file read from a deployment's bundle, checked like an inline one (interpolated with
// the service's env and secret stand-ins, then schema, structure and host policy) before any job
// exists. The project (the bundle's entries and the file's folder) lets relative binds, env files
// and build contexts resolve inside the bundle.
import {
  prepareComposeDocument,
  secretPlaceholders,
} from "@capstan/templates/compose/prepare-compose-document";
import type { HostPolicy } from "@capstan/templates/workflow/host-policy";
import { parseWorkflowYaml } from "@capstan/templates/workflow/parse-workflow-yaml";
import type { ComposeServiceSpec } from "@capstan/templates/workflow/spec";
import { teamReferencePlaceholders } from "@capstan/templates/workflow/team-references";
import type { WorkflowIssue } from "@capstan/templates/workflow/workflow-issue";

/** Where the control plane pretends the bundle is unpacked; the agent uses its release folder. */
const PROJECT_ROOT = "/capstan/project";
const DATA_ROOT = "/capstan/data";

export interface BundleComposeInput {
  workflow: string;
  service: string;
  spec: ComposeServiceSpec;
  /** `compose.file`, relative to the bundle's root. */
  file: string;
  text: string;
  /** listBundleEntries of the bundle. */
  entries: ReadonlySet<string>;
  bundleSha256: string;
  policy: HostPolicy;
}

/** The issues of one Compose file of a bundle under one host policy (empty when it may run). */
export function checkBundleCompose(input: BundleComposeInput): WorkflowIssue[] {
  const at = { path: ["services", input.service, "compose", "file"], file: input.file };
  const parsed = parseWorkflowYaml(input.text, { version: "1.1" });
  if (!parsed.ok) return parsed.issues.map((i) => ({ ...i, ...at, filePath: i.path }));
  const slash = input.file.lastIndexOf("/");
  const project = {
    entries: input.entries,
    dir: slash < 0 ? "" : input.file.slice(0, slash),
    root: PROJECT_ROOT,
    dataRoot: `${DATA_ROOT}/${input.service}`,
    imageTag: (composeService: string) =>
      `capstan/${input.workflow}-${input.service}-${composeService}:${input.bundleSha256.slice(0, 12)}`,
  };
  // Passed as a variable: Compose rendering in a project folder (issue 13) reads `project`;
  // before it, the check runs without it.
  const prepare = {
    document: parsed.parsed.value,
    variables: { ...teamReferencePlaceholders(input.spec.env), ...secretPlaceholders(input.spec.secrets) },
    policy: input.policy,
    project,
  };
  const prepared = prepareComposeDocument(prepare);
  if (prepared.ok) return [];
  return prepared.issues.map((i) => {
    const pos = parsed.parsed.locate(i.path, { key: i.atKey });
    return { ...i, ...at, filePath: i.path, ...(pos ? { line: pos.line, column: pos.column } : {}) };
  });
}
