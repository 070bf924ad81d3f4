// A Compose file that arrives with its project folder (a bundle, see the issue-13 contract):
// where a relative path of the document lands. The policy check (compose-policy-context.ts)
// and the renderer (map-compose-project.ts) both classify paths here, so what was allowed is
// exactly what is written.
import type { IssuePath } from "../workflow/workflow-issue";

export interface ComposeProject {
  /** Every entry of the bundle: relative POSIX paths, folders ending in "/". */
  entries: ReadonlySet<string>;
  /** Folder of the compose file inside the bundle ("" = root); relative paths resolve here. */
  dir: string;
  /** Absolute host folder where the bundle is unpacked (agent), or "/capstan/project" on the control plane. */
  root: string;
  /** Absolute host folder for persistent data binds of this Capstan service (kept across releases). */
  dataRoot: string;
  /** Image tag for a Compose service with `build:`. */
  imageTag: (composeService: string) => string;
}

export type ProjectPath =
  /** Absolute or `~`: a host path, checked against the host policy as without a project. */
  | { kind: "host" }
  /** A relative path whose `..` climbs above the bundle's root. */
  | { kind: "leaves" }
  /** In the bundle: `rel` from the bundle's root ("" = the root), `abs` on the host. */
  | { kind: "bundle"; rel: string; abs: string }
  /** Not in the bundle: persistent data under `dataRoot`. */
  | { kind: "data"; rel: string; abs: string };

/** `a/./b/../c/` -> `a/c`; undefined when `..` climbs above the start. */
function normaliseRelative(path: string): string | undefined {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(part);
  }
  return out.join("/");
}

const under = (folder: string, rel: string) => (rel === "" ? folder : `${folder.replace(/\/+$/, "")}/${rel}`);

/** A folder of the bundle (the root, or listed as a folder, or holding an entry: tars may omit folders). */
export function isBundleFolder(project: ComposeProject, rel: string): boolean {
  if (rel === "" || project.entries.has(`${rel}/`)) return true;
  for (const entry of project.entries) if (entry.startsWith(`${rel}/`)) return true;
  return false;
}

export function inBundle(project: ComposeProject, rel: string): boolean {
  return project.entries.has(rel) || isBundleFolder(project, rel);
}

/** `ComposeProject.dir` for a compose file at this bundle path (`deploy/compose.yaml` -> `deploy`). */
export function composeFileDir(file: string): string {
  const rel = normaliseRelative(file) ?? "";
  return rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : "";
}

/** Where a path written in the Compose file (relative to its folder) lands. */
export function classifyProjectPath(raw: string, project: ComposeProject): ProjectPath {
  if (raw.startsWith("/") || raw.startsWith("~")) return { kind: "host" };
  const rel = normaliseRelative(`${project.dir}/${raw}`);
  if (rel === undefined) return { kind: "leaves" };
  if (inBundle(project, rel)) return { kind: "bundle", rel, abs: under(project.root, rel) };
  return { kind: "data", rel, abs: under(project.dataRoot, rel) };
}

/** `rel` (a bundle path) is `folder` or inside it. */
export function relWithin(rel: string, folder: string): boolean {
  return folder === "" || rel === folder || rel.startsWith(`${folder}/`);
}

/**
 * `capstan/<workflow>-<service>-<composeService>:<first 12 hex of the bundle sha256>`. Compose
 * service names may hold upper case, `.` and `_`, which image names do not allow in that place.
 */
export function composeBuildImageTag(
  workflow: string,
  service: string,
  composeService: string,
  bundleSha256: string,
): string {
  const name = composeService.toLowerCase().replace(/[^a-z0-9-]+/g, "-");
  return `capstan/${workflow}-${service}-${name}:${bundleSha256.slice(0, 12)}`;
}

export interface EnvFileEntry {
  path: string;
  /** `required: false` (long form): a missing file is skipped. */
  required: boolean;
  /** Where the path is written. */
  at: IssuePath;
}

/** `env_file` as a string, a list of strings, or a list of `{path, required}`; other items are left to the schema. */
export function envFileEntries(value: unknown, at: IssuePath): EnvFileEntry[] {
  const list = Array.isArray(value) ? value : [value];
  return list.flatMap((item: unknown, index) => {
    const where = Array.isArray(value) ? [...at, index] : at;
    if (typeof item === "string") return [{ path: item, required: true, at: where }];
    if (item !== null && typeof item === "object" && typeof (item as { path?: unknown }).path === "string") {
      const { path, required } = item as { path: string; required?: unknown };
      return [{ path, required: required !== false && required !== "false", at: [...where, "path"] }];
    }
    return [];
  });
}
