// The one place the agent hands a bundle's project folder to the Compose renderer: the entries
// of the unpacked folder, the compose file's folder, where the project and the service's data
// live, and the image tags of Compose services with `build:`. The renderer decides what every
// relative path becomes; the agent writes and creates what it returns.
import { mkdir, readFile, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import type { ComposeServiceSpec } from "@capstan/templates";
import { composeBuildImageTag, composeFileDir } from "@capstan/templates/compose/compose-project";
import { renderComposeProject } from "@capstan/templates/compose/render-compose-project";
import { parseWorkflowYaml } from "@capstan/templates/workflow/parse-workflow-yaml";
import {
  type BundleCache,
  BundleError,
  type BundleRef,
  listEntries,
  unpackBundle,
  writeInside,
} from "./bundles";
import type { DeployLog, ServiceRef } from "./types";

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
async function renderBundledCompose(input: ProjectInput) {
  const file = input.spec.compose.file;
  const dir = file === undefined ? "" : composeFileDir(file);
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
      imageTag: (svc) => composeBuildImageTag(input.workflow, input.service, svc, input.bundleSha256),
    },
  });
  return { ...files, dir };
}

export interface PrepareProjectInput {
  ref: ServiceRef;
  spec: ComposeServiceSpec;
  secrets: Record<string, string>;
  hostPolicy: ProjectInput["hostPolicy"];
  bundle: BundleRef;
  bundles: BundleCache;
  /** `<release>/project`. */
  root: string;
  /** Whether `root` already holds this bundle (a release staged again). */
  unpacked: boolean;
  dataRoot: string;
  realPath: ProjectInput["realPath"];
  log: DeployLog;
  signal?: AbortSignal;
}

/**
 * The release's project folder made ready for compose: the bundle unpacked (verified first),
 * the document rendered against it, the env files it lacks written, the data folders created.
 * Returns the files to write and the images to build.
 */
export async function prepareProject(input: PrepareProjectInput) {
  const { ref, bundle, root, dataRoot, log } = input;
  if (!input.unpacked || !(await stat(root).catch(() => null))) {
    const { file, cached } = await input.bundles.get(bundle, input.signal);
    log(
      "info",
      `compose: bundle ${bundle.sha256.slice(0, 12)} ${cached ? "from the cache" : "downloaded, sha256 verified"}`,
    );
    await unpackBundle(file, root);
  }
  const files = await renderBundledCompose({
    ...ref,
    spec: input.spec,
    secrets: input.secrets,
    hostPolicy: input.hostPolicy,
    realPath: input.realPath,
    root,
    dataRoot,
    bundleSha256: bundle.sha256,
  });
  for (const notice of files.notices ?? []) log("info", `compose: ${notice}`);
  for (const [rel, text] of Object.entries(files.envFiles ?? {})) {
    await writeInside(root, rel, text, 0o600);
    log("info", `compose: wrote ${rel} from the service's env and secrets`);
  }
  for (const [rel, text] of Object.entries(files.dockerfiles ?? {})) {
    await writeInside(root, rel, text, 0o644);
    log("info", `compose: wrote ${rel} (Capstan's generated Dockerfile)`);
  }
  for (const folder of files.dataDirs ?? []) {
    const rel = relative(dataRoot, folder);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel))
      throw new BundleError(`refused data folder ${folder}: not under ${dataRoot}`);
    // Kept across releases and rollbacks: outside releases/, so prune never touches it.
    await mkdir(folder, { recursive: true, mode: 0o755 });
  }
  const images = (files.builds ?? []).map((svc) => ({
    svc,
    tag: composeBuildImageTag(ref.workflow, ref.service, svc, bundle.sha256),
  }));
  return { files, images };
}
