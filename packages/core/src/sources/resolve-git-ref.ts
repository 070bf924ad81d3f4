// Which commit a workflow's `ref` names, from `git ls-remote --symref` output: a branch first,
// then a tag (an annotated tag's peeled `^{}` commit), or a full commit id as written. Pure.
import { GIT_COMMIT_PATTERN } from "@capstan/templates/workflow/git-source-spec";
import { badRequest } from "../errors";

export interface RemoteRefs {
  /** Branch name -> commit. */
  branches: Map<string, string>;
  /** Tag name -> commit (peeled). */
  tags: Map<string, string>;
  /** The branch the remote's HEAD points at, when it says. */
  defaultBranch: string | null;
}

export function parseLsRemote(output: string): RemoteRefs {
  const branches = new Map<string, string>();
  const tags = new Map<string, string>();
  let defaultBranch: string | null = null;
  for (const line of output.split("\n")) {
    const symref = /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(line);
    if (symref) {
      defaultBranch = symref[1]!;
      continue;
    }
    const match = /^([0-9a-f]{40})\t(refs\/(heads|tags)\/(\S+))$/.exec(line);
    if (!match) continue;
    const [, sha, , kind, name] = match;
    if (kind === "heads") branches.set(name!, sha!);
    else if (name!.endsWith("^{}")) tags.set(name!.slice(0, -3), sha!);
    else if (!tags.has(name!)) tags.set(name!, sha!);
  }
  return { branches, tags, defaultBranch };
}

export interface ResolvedRef {
  /** The commit id as far as the remote says (a fetched commit is checked against it). */
  sha: string;
  /** What to fetch: a full ref name, or the commit id itself. */
  fetch: string;
  /** A readable name for the deployment record: "main", "v1.2.0" or the commit id. */
  ref: string;
}

/** Lists at most `max` names, saying how many more there are. */
export function listNames(names: string[], max = 20): string {
  if (names.length === 0) return "none";
  const shown = names.slice(0, max).join(", ");
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

export function resolveGitRef(refs: RemoteRefs, ref: string, url: string): ResolvedRef {
  if (GIT_COMMIT_PATTERN.test(ref)) return { sha: ref, fetch: ref, ref };
  const short = ref.replace(/^refs\/(heads|tags)\//, "");
  const wantsTag = ref.startsWith("refs/tags/");
  const branch = wantsTag ? undefined : refs.branches.get(short);
  if (branch) return { sha: branch, fetch: `refs/heads/${short}`, ref: short };
  const tag = ref.startsWith("refs/heads/") ? undefined : refs.tags.get(short);
  if (tag) return { sha: tag, fetch: `refs/tags/${short}`, ref: short };
  const branches = [...refs.branches.keys()].sort();
  throw badRequest(
    `Branch or tag \`${short}\` not found in ${url}; branches: ${listNames(branches)}. Set \`source.git.ref\` to one of them, a tag or a full commit id.`,
    { branches: branches.slice(0, 100) },
  );
}
