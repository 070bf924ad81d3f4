// The files of one Compose service of a workflow: the Compose document, interpolated and checked
// against the host policy by prepareComposeDocument and written with `$` escaped (so every
// Compose implementation reads exactly the checked values), and its `.env`.
import { Document, visit } from "yaml";
import { RenderError } from "../systemd/escape";
import type { HostPolicy } from "../workflow/host-policy";
import { type ComposeServiceSpec, composeProjectName, NAME_PATTERN } from "../workflow/spec";
import { formatIssuePath } from "../workflow/workflow-issue";
import type { ComposeProject } from "./compose-project";
import { escapeDollars } from "./interpolate";
import type { ComposeProjectOutputs } from "./map-compose-project";
import { prepareComposeDocument } from "./prepare-compose-document";
import { renderComposeEnvFile } from "./render-compose-env-file";

export interface RenderComposeProjectInput {
  workflow: string;
  service: string;
  spec: ComposeServiceSpec;
  /** Resolved secret values for the secrets this service names. */
  secrets: Record<string, string>;
  /** The host's policy, checked on the interpolated document with the real secret values. */
  hostPolicy: HostPolicy;
  /** The real path of a host path (symlinks resolved), so a link cannot lead a bind elsewhere. */
  realPath?: (path: string) => string | undefined;
  /** The unpacked bundle the Compose file came with (compose-project.ts). */
  project?: ComposeProject;
}

/** With a project: also `builds`, `dataDirs`, `envFiles` and `notices` (empty without one). */
export interface ComposeProjectFiles extends ComposeProjectOutputs {
  project: string;
  /** compose.yaml */
  compose: string;
  /** .env (mode 0600) */
  env: string;
  /** Variables to pass in the compose process environment as well (see render-compose-env-file.ts). */
  processEnv: Record<string, string>;
}

/**
 * Emits YAML 1.1-safe text: strings that YAML 1.1 (PyYAML, docker-compose v1) would read as
 * booleans, numbers or dates (`yes`, `0440`, `12:30`) are quoted, which YAML 1.2 readers (v2)
 * read as the same strings.
 */
export function renderComposeDocument(document: Record<string, unknown>): string {
  const doc = new Document(document, { version: "1.1" });
  // PyYAML refuses tabs and other control characters in plain and block scalars; double quotes
  // with escapes read back the same in every YAML parser.
  visit(doc, {
    Scalar(_key, node) {
      if (
        typeof node.value === "string" &&
        [...node.value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)
      )
        node.type = "QUOTE_DOUBLE";
    },
  });
  return doc.toString({ lineWidth: 0 });
}

export function renderComposeProject(input: RenderComposeProjectInput): ComposeProjectFiles {
  if (!NAME_PATTERN.test(input.workflow) || !NAME_PATTERN.test(input.service))
    throw new RenderError("workflow and service names must match the name pattern");
  const document = input.spec.compose.inline;
  if (!document) throw new RenderError("the Compose document must be inline (resolve `file` first)");
  const values: Record<string, string> = { ...input.spec.env };
  for (const name of input.spec.secrets) {
    const value = input.secrets[name];
    // A missing secret fails the deploy; it never deploys an empty value (DESIGN.md).
    if (value === undefined) throw new RenderError(`secret ${name} has no value`);
    values[name] = value;
  }
  const prepared = prepareComposeDocument({
    document,
    variables: values,
    policy: input.hostPolicy,
    realPath: input.realPath,
    project: input.project,
    generateDockerfile: input.spec.dockerfile,
  });
  if (!prepared.ok) {
    const first = prepared.issues.slice(0, 3).map((i) => `${formatIssuePath(i.path)}: ${i.message}`);
    const text = `${first.join("; ")}${prepared.issues.length > 3 ? "; ..." : ""}`;
    // An issue quotes the offending value, which may be a secret's: never in an error.
    const secrets = input.spec.secrets.map((n) => values[n]!).filter((v) => v !== "");
    throw new RenderError(
      `the Compose document is refused: ${secrets.reduce((t, v) => t.replaceAll(v, "***"), text)}`,
    );
  }
  // The .env is no longer read by the document (nothing is left to interpolate); Compose still
  // gives its values to `environment` entries written without a value (`- NAME`).
  const env = renderComposeEnvFile(values);
  return {
    project: composeProjectName(input.workflow, input.service),
    compose: renderComposeDocument(escapeDollars(prepared.document) as Record<string, unknown>),
    env: env.text,
    processEnv: Object.fromEntries(env.processEnvKeys.map((k) => [k, values[k]!])),
    builds: prepared.builds,
    dataDirs: prepared.dataDirs,
    envFiles: prepared.envFiles,
    dockerfiles: prepared.dockerfiles,
    notices: prepared.notices,
  };
}
