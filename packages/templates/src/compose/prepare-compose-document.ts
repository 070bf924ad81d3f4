// The one path from a workflow's Compose document to what a host runs: interpolate with the
// variables the workflow provides, convert the types interpolation decides, validate the Compose
// schema, Capstan's structure rules and the host policy on that result; renderComposeProject then
// writes that result with every `$` escaped, so docker-compose cannot interpolate it into
// something else. The control plane
// runs it with secret placeholders (it does not know their values), the agent again with the
// values, so what was checked is exactly what runs. With a `project` (the files the revision
// carries) relative paths are checked and made absolute by map-compose-project.ts.

import type { DockerfileKind } from "../export/render-dockerfile";
import {
  type ComposeIssue,
  type ComposePolicyOptions,
  checkComposePolicy,
  checkComposeStructure,
} from "../workflow/check-compose-policy";
import { isDict } from "../workflow/compose-policy-context";
import type { HostPolicy } from "../workflow/host-policy";
import type { ComposeProject } from "./compose-project";
import { coerceComposeTypes, validateComposeDocument } from "./compose-schema";
import { interpolateDocument } from "./interpolate";
import { type ComposeProjectOutputs, mapComposeProject, noProjectOutputs } from "./map-compose-project";

export interface PrepareComposeInput extends ComposePolicyOptions {
  document: unknown;
  /** The service's `env` and its secrets (values on the agent, secretPlaceholders() elsewhere). */
  variables: Record<string, string>;
  /** Checked when given. */
  policy?: HostPolicy;
  /** The project folder the document came with; without it relative paths are refused. */
  project?: ComposeProject;
  /** With a project: generate this kind of Dockerfile for build contexts that have none. */
  generateDockerfile?: DockerfileKind;
}

export type PreparedCompose =
  /**
   * `document` is what was checked, with project paths made absolute; render it with
   * renderComposeDocument (render-compose-project.ts). Without a project the outputs are empty.
   */
  | ({ ok: true; document: Record<string, unknown> } & ComposeProjectOutputs)
  | { ok: false; issues: ComposeIssue[] };

/**
 * Stand-ins for secret values where they are unknown: no `/`, `:`, `.` or digit run, so one can
 * never read as a path, a mode, a port, a number, a boolean or a keyword like `host`.
 */
export function secretPlaceholders(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    names.map((name) => [name, `capstan-secret-${name.replace(/[^A-Za-z_]/g, "_")}`]),
  );
}

export function prepareComposeDocument(input: PrepareComposeInput): PreparedCompose {
  const interpolated = interpolateDocument(input.document, input.variables);
  if (interpolated.issues.length > 0) return { ok: false, issues: interpolated.issues };
  const document = coerceComposeTypes(interpolated.value) as Record<string, unknown>;
  const structure = checkComposeStructure(document, input);
  // In a project, the schema checks the document as rendered: paths mapped, `env_file` in the
  // short form the schema knows, `name` dropped.
  const mapped =
    input.project && isDict(document)
      ? mapComposeProject(document, input.project, input.variables, input.generateDockerfile)
      : { ...noProjectOutputs(), document, issues: [] };
  const schema = validateComposeDocument(mapped.document).filter(
    // `name` and `include` are newer than the schema; the structure check explains them better.
    (issue) => !(issue.path.length === 1 && (issue.path[0] === "name" || issue.path[0] === "include")),
  );
  const issues: ComposeIssue[] = [...structure, ...mapped.issues, ...schema];
  if (input.policy) {
    const seen = new Set(issues.map((i) => i.path.join("\u0000")));
    // The schema already names an unknown key; the policy's own refusal of it adds nothing.
    issues.push(
      ...checkComposePolicy(document, input.policy, input).filter(
        (i) => !(i.atKey && seen.has(i.path.join("\u0000"))),
      ),
    );
  }
  if (issues.length > 0) return { ok: false, issues };
  const { issues: _none, ...outputs } = mapped;
  return { ok: true, ...outputs };
}
