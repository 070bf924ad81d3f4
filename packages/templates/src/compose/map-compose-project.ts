// Rewrites a checked Compose document to run in its project folder on the host: relative paths
// become absolute (into the unpacked bundle, or into the service's persistent data folder for a
// bind the bundle lacks), missing env files are generated from the service's env and secrets,
// builds get Capstan's image tag, and a top-level `name` gives way to Capstan's project name.
// The rules are the contract's table (docs/user/workflow-format.md, "Files, data folders and builds").

import { type DockerfileKind, renderDockerfile } from "../export/render-dockerfile";
import { type ComposeIssue, isDict } from "../workflow/compose-policy-context";
import { bindSource, isRemoteContext } from "../workflow/compose-service-rules";
import type { IssuePath } from "../workflow/workflow-issue";
import {
  type ComposeProject,
  classifyProjectPath,
  envFileEntries,
  inBundle,
  isBundleFolder,
} from "./compose-project";
import { renderComposeEnvFile } from "./render-compose-env-file";

export interface ComposeProjectOutputs {
  /** Compose services to build (`build:`), each tagged with `project.imageTag(service)`. */
  builds: string[];
  /** Absolute folders the agent creates before `up`: persistent data binds. */
  dataDirs: string[];
  /** Bundle path (from the bundle's root) -> dotenv text, for env files the bundle lacks (mode 0600). */
  envFiles: Record<string, string>;
  /** Bundle path -> Dockerfile text, for build contexts without one when the service asks (`dockerfile:`). */
  dockerfiles: Record<string, string>;
  /** For the deploy log: what Capstan changed in the document. */
  notices: string[];
}

export interface MappedCompose extends ComposeProjectOutputs {
  document: Record<string, unknown>;
  issues: ComposeIssue[];
}

export const noProjectOutputs = (): ComposeProjectOutputs => ({
  builds: [],
  dataDirs: [],
  envFiles: {},
  dockerfiles: {},
  notices: [],
});

export function mapComposeProject(
  checked: Record<string, unknown>,
  project: ComposeProject,
  variables: Record<string, string>,
  generateDockerfile?: DockerfileKind,
): MappedCompose {
  const document = structuredClone(checked);
  const out: MappedCompose = { document, ...noProjectOutputs(), issues: [] };
  const dataDirs = new Set<string>();
  /** The host path for a relative path the policy allowed; absolute ones stay as written. */
  const hostPath = (raw: string): string => {
    const where = classifyProjectPath(raw, project);
    if (where.kind === "data") dataDirs.add(where.abs);
    return where.kind === "bundle" || where.kind === "data" ? where.abs : raw;
  };

  if ("name" in document) {
    out.notices.push(
      `the top-level \`name: ${String(document.name).slice(0, 80)}\` is ignored: Capstan names the project`,
    );
    delete document.name;
  }
  for (const [name, service] of Object.entries(isDict(document.services) ? document.services : {})) {
    if (!isDict(service)) continue;
    const at = ["services", name];
    if (Array.isArray(service.volumes))
      service.volumes = service.volumes.map((volume: unknown) => {
        const source = bindSource(volume);
        if (typeof volume === "string" && source !== undefined)
          return `${hostPath(source)}${volume.slice(source.length)}`;
        if (isDict(volume) && volume.type === "bind" && typeof volume.source === "string")
          return { ...volume, source: hostPath(volume.source) };
        return volume;
      });
    if (service.env_file !== undefined) mapEnvFiles(service, [...at, "env_file"], project, variables, out);
    if (service.build !== undefined) mapBuild(name, service, hostPath, project, out, generateDockerfile);
  }
  for (const volume of Object.values(isDict(document.volumes) ? document.volumes : {}))
    if (isDict(volume) && isDict(volume.driver_opts) && typeof volume.driver_opts.device === "string")
      volume.driver_opts.device = hostPath(volume.driver_opts.device);
  for (const kind of ["secrets", "configs"])
    for (const def of Object.values(isDict(document[kind]) ? document[kind] : {}))
      if (isDict(def) && typeof def.file === "string") def.file = hostPath(def.file);
  out.dataDirs = [...dataDirs];
  return out;
}

function mapEnvFiles(
  service: Record<string, unknown>,
  at: IssuePath,
  project: ComposeProject,
  variables: Record<string, string>,
  out: MappedCompose,
): void {
  const files: string[] = [];
  for (const entry of envFileEntries(service.env_file, at)) {
    const where = classifyProjectPath(entry.path, project);
    if (where.kind === "bundle" && isBundleFolder(project, where.rel))
      out.issues.push({ path: entry.at, message: `env file \`${entry.path.slice(0, 80)}\` is a folder` });
    else if (where.kind === "bundle") files.push(where.abs);
    else if (where.kind !== "data")
      files.push(entry.path); // a host file the policy allowed
    else if (!entry.required)
      continue; // `required: false`: Compose skips a missing file
    else {
      const generated = generatedEnvFile(entry.path, variables);
      if (typeof generated === "string") {
        out.envFiles[where.rel] = generated;
        files.push(`${project.root.replace(/\/+$/, "")}/${where.rel}`);
      } else out.issues.push({ path: entry.at, message: generated.error });
    }
  }
  // Items that are neither strings nor `{path}` are kept for the schema to name.
  const others = (Array.isArray(service.env_file) ? service.env_file : [service.env_file]).filter(
    (item: unknown) => typeof item !== "string" && !(isDict(item) && typeof item.path === "string"),
  );
  if (files.length + others.length === 0) delete service.env_file;
  else service.env_file = [...files, ...others];
}

function generatedEnvFile(path: string, variables: Record<string, string>): string | { error: string } {
  const shown = path.slice(0, 80);
  if (Object.keys(variables).length === 0)
    return {
      error: `env file \`${shown}\` is not in the project and the service has no \`env\` or \`secrets\` to write it from: add the file to the repository or the uploaded folder, give the service \`env\`/\`secrets\` with the variables the file would hold, or mark it \`required: false\``,
    };
  try {
    return renderComposeEnvFile(variables).text;
  } catch (error) {
    return {
      error: `env file \`${shown}\` cannot be written from the service's env: ${(error as Error).message}`,
    };
  }
}

function mapBuild(
  name: string,
  service: Record<string, unknown>,
  hostPath: (raw: string) => string,
  project: ComposeProject,
  out: MappedCompose,
  generateDockerfile: DockerfileKind | undefined,
): void {
  const build = service.build;
  const context = typeof build === "string" ? build : isDict(build) ? String(build.context ?? ".") : ".";
  const where = isRemoteContext(context) ? undefined : classifyProjectPath(context, project);
  const named = isDict(build) && build.dockerfile !== undefined;
  if (generateDockerfile && where?.kind === "bundle" && !named) {
    const file = where.rel === "" ? "Dockerfile" : `${where.rel}/Dockerfile`;
    if (!inBundle(project, file)) {
      out.dockerfiles[file] = renderDockerfile({ kind: generateDockerfile });
      out.notices.push(
        `service \`${name}\`: its build context has no Dockerfile; Capstan's generated ${generateDockerfile} Dockerfile is used`,
      );
    }
  }
  const mapped = isRemoteContext(context) ? context : hostPath(context);
  if (typeof build === "string") service.build = mapped;
  else if (isDict(build)) build.context = mapped;
  const tag = project.imageTag(name);
  if (service.image !== undefined && service.image !== tag)
    out.notices.push(
      `service \`${name}\`: \`image: ${String(service.image).slice(0, 80)}\` is replaced by the image built from \`build\` (${tag})`,
    );
  service.image = tag;
  out.builds.push(name);
}
