// The one place the agent hands a bundle's project folder to the Compose renderer: the entries
// of the unpacked folder, the compose file's folder, where the project and the service's data
// live, and the image tags of Compose services with `build:`. The renderer decides what every
// relative path becomes; the agent writes and creates what it returns.
import { readFile, realpath } from "node:fs/promises";
import { join, posix, sep } from "node:path";
import type { ComposeServiceSpec } from "@capstan/templates";
import { renderComposeProject } from "@capstan/templates/compose/render-compose-project";
import { parseWorkflowYaml } from "@capstan/templates/workflow/parse-workflow-yaml";
import { BundleError, listEntries } from "./bundles";

/**
 * `capstan/<workflow>-<service>-<composeService>:<first 12 hex of the bundle sha256>`; Compose
 * names may hold upper case, `.` and `_`, which image names do not allow there. Same rule as the
 * templates' composeBuildImageTag (templates-compose branch): use that one once both are merged.
 */
export function projectImageTag(workflow: string, service: string, composeService: string, sha256: string) {
  const name = composeService.toLowerCase().replace(/[^a-z0-9-]+/g, "-");
  return `capstan/${workflow}-${service}-${name}:${sha256.slice(0, 12)}`;
}

export interface ProjectInput {
  workflow: string;
  service: string;
  spec: ComposeServiceSpec;
  secrets: Record<string, string>;
  hostPolicy: Parameters<typeof renderComposeProject>[0]["hostPolicy"];
  realPath: (path: string) => string | undefined;
  /** The unpacked bundle (`<release>/project`). */
  root: string;
  /** `<service dir>/data`: kept across releases and rollbacks. */
  dataRoot: string;
  bundleSha256: string;
}

/** Reads `compose.file` out of the project (never through a link leaving it), as Compose reads YAML 1.1. */
async function readComposeFile(root: string, file: string): Promise<Record<string, unknown>> {
  const path = join(root, ...file.split("/"));
  const real = await realpath(path).catch(() => null);
  if (!real) throw new BundleError(`compose.file \`${file}\` is not in the project bundle`);
  const realRoot = await realpath(root);
  if (!real.startsWith(`${realRoot}${sep}`))
    throw new BundleError(`compose.file \`${file}\` leads out of the project bundle`);
  const parsed = parseWorkflowYaml(await readFile(real, "utf8"), { version: "1.1" });
  if (!parsed.ok) {
    const issue = parsed.issues[0]!;
    throw new BundleError(
      `compose.file \`${file}\`${issue.line ? ` line ${issue.line}` : ""}: ${issue.message}`,
    );
  }
  if (!parsed.parsed.value || typeof parsed.parsed.value !== "object" || Array.isArray(parsed.parsed.value))
    throw new BundleError(`compose.file \`${file}\` is not a Compose document (a mapping)`);
  return parsed.parsed.value as Record<string, unknown>;
}

/** Renders a compose service whose files come from a bundle; `dir` is where compose runs from. */
export async function renderBundledCompose(input: ProjectInput) {
  const file = input.spec.compose.file;
  const dir = file === undefined ? "" : posix.dirname(file) === "." ? "" : posix.dirname(file);
  const inline = file === undefined ? input.spec.compose.inline! : await readComposeFile(input.root, file);
  const files = renderComposeProject({
    workflow: input.workflow,
    service: input.service,
    spec: { ...input.spec, compose: { inline } },
    secrets: input.secrets,
    hostPolicy: input.hostPolicy,
    realPath: input.realPath,
    project: {
      entries: await listEntries(input.root),
      dir,
      root: input.root,
      dataRoot: input.dataRoot,
      imageTag: (svc) => projectImageTag(input.workflow, input.service, svc, input.bundleSha256),
    },
  });
  return { ...files, dir };
}
