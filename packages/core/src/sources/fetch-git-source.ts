// The control plane's one way to read a Git repository: resolve a ref to a commit, fetch that one
// commit (shallow) into a throw-away folder, and turn its tree (or a subfolder of it) into a
// bundle. Deploys call fetchGitSource; the dashboard's "Test connection" calls listGitBranches.
// Everything git is told was checked first (URL, ref, path, the host's address), credentials
// travel only through the environment (git-session.ts), and errors name the URL as written
// (which never holds a password) and never the credential.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { BUNDLE_MAX_BYTES } from "@capstan/protocol/bundles";
import { gitSourceSchema } from "@capstan/templates/workflow/spec";
import { AppError, badRequest } from "../errors";
import { checkGitRemote, type GitRemote } from "./check-git-remote";
import { GitCommandError, type GitSession, openGitSession } from "./git-session";
import { packGitTree } from "./pack-git-tree";
import { parseLsRemote, type RemoteRefs, resolveGitRef } from "./resolve-git-ref";

/** How long one fetch (ls-remote, fetch, archive) may take before it is stopped. */
export const GIT_FETCH_TIMEOUT_MS = 5 * 60 * 1000;

export interface GitRemoteInput {
  url: string;
  /** The credentials secret's value: a token, or an OpenSSH private key ("-----BEGIN ..."). */
  credential?: string;
  /** Loopback and private addresses too (CAPSTAN_OUTBOUND_ALLOW_PRIVATE); link-local never. */
  allowPrivate: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface GitSourceInput extends GitRemoteInput {
  /** Branch, tag or full commit id. */
  ref: string;
  /** Folder inside the repository that becomes the bundle's root. */
  path?: string;
  /** The compressed bundle limit; the protocol's BUNDLE_MAX_BYTES unless a test wants a small one. */
  maxBundleBytes?: number;
}

export interface GitCommit {
  sha: string;
  /** The branch or tag that was resolved, or the commit id when one was pinned. */
  ref: string;
  message: string;
  author: string;
  /** ISO 8601, the committer date. */
  date: string;
}

export async function fetchGitSource(input: GitSourceInput): Promise<{ data: Buffer; commit: GitCommit }> {
  const checked = gitSourceSchema.safeParse({ url: input.url, ref: input.ref, path: input.path });
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw badRequest(`source.git.${issue.path.join(".")} ${issue.message}.`);
  }
  return withRemote(input, async (session, remote) => {
    const resolved = resolveGitRef(await readRefs(session, remote), input.ref, remote.url);
    const repo = join(session.dir, "repo");
    await session.run(["init", "--quiet", "--bare", repo]);
    const maxBytes = input.maxBundleBytes ?? BUNDLE_MAX_BYTES;
    await boundedBySize(repo, maxBytes, (signal) =>
      session
        .run(
          ["--git-dir", repo, "fetch", "--quiet", "--no-tags", "--depth", "1", remote.url, resolved.fetch],
          {
            signal,
          },
        )
        .catch((error: unknown) => {
          throw explain(error, remote, `fetching ${resolved.ref} from`);
        }),
    );
    const sha = (
      await session.run(["--git-dir", repo, "rev-parse", "--verify", "FETCH_HEAD^{commit}"])
    ).trim();
    const path = input.path?.replace(/\/+$/, "");
    if (path) {
      const kind = await session.run(["--git-dir", repo, "cat-file", "-t", `${sha}:${path}`]).catch(() => "");
      if (kind.trim() !== "tree")
        throw badRequest(
          `Folder \`${path}\` not found in commit ${sha.slice(0, 12)} (${resolved.ref}) of ${remote.url}; check \`source.git.path\`.`,
        );
    }
    const log = await session.run([
      "--git-dir",
      repo,
      "log",
      "-1",
      "--no-show-signature",
      "--format=%an <%ae>%x00%cI%x00%B",
      sha,
    ]);
    const [author = "", date = "", message = ""] = log.split("\0");
    const commit: GitCommit = {
      sha,
      ref: resolved.ref,
      message: message.trim().slice(0, 4000),
      author: author.slice(0, 300),
      date: new Date(date).toISOString(),
    };
    const what = `Commit ${sha.slice(0, 12)} of ${remote.url}${path ? ` (folder ${path})` : ""}`;
    const data = await packGitTree(session, repo, path ? `${sha}:${path}` : `${sha}^{tree}`, {
      mtime: new Date(commit.date),
      what,
      maxBytes,
    });
    return { data, commit };
  });
}

/** The repository's branches, sorted by name (the "Test connection" answer). */
export async function listGitBranches(input: GitRemoteInput): Promise<string[]> {
  return withRemote(input, async (session, remote) =>
    [...(await readRefs(session, remote)).branches.keys()].sort(),
  );
}

async function withRemote<T>(
  input: GitRemoteInput,
  work: (session: GitSession, remote: GitRemote) => Promise<T>,
): Promise<T> {
  const remote = await checkGitRemote(input.url, { allowPrivate: input.allowPrivate });
  const deadline = AbortSignal.timeout(input.timeoutMs ?? GIT_FETCH_TIMEOUT_MS);
  const signal = input.signal ? AbortSignal.any([input.signal, deadline]) : deadline;
  const session = await openGitSession({ remote, credential: input.credential, signal });
  try {
    return await work(session, remote);
  } finally {
    await session.close();
  }
}

async function readRefs(session: GitSession, remote: GitRemote): Promise<RemoteRefs> {
  const output = await session
    .run(["ls-remote", "--symref", remote.url, "HEAD", "refs/heads/*", "refs/tags/*"])
    .catch((error: unknown) => {
      throw explain(error, remote, "reading");
    });
  return parseLsRemote(output);
}

/** git's failure as a sentence a person can act on. */
function explain(error: unknown, remote: GitRemote, doing: string): unknown {
  if (!(error instanceof GitCommandError)) return error;
  const text = error.message;
  if (
    /Authentication failed|could not read (Username|Password)|returned error: 40[13]|Permission denied \(publickey/i.test(
      text,
    )
  )
    return badRequest(
      `The repository ${remote.url} refused access (${text.slice(0, 200)}). For a private repository, set \`source.git.credentials\` to a secret holding an access token or a deploy key, and check that it is still valid.`,
    );
  if (/not our ref|couldn't find remote ref|no such remote ref/i.test(text))
    return badRequest(
      `${remote.url} does not serve that commit (${text.slice(0, 200)}); pin a commit that a branch or tag of the repository contains.`,
    );
  if (/returned error: 404|not found|does not appear to be a git repository/i.test(text))
    return badRequest(`No Git repository found at ${remote.url} (${text.slice(0, 200)}); check the URL.`);
  return new AppError("UNAVAILABLE", `Git failed ${doing} ${remote.url}: ${text}`);
}

/**
 * Runs a fetch while watching how much it writes: a repository whose one commit is far larger
 * than any bundle could be is stopped early instead of filling the disk.
 */
async function boundedBySize<T>(
  dir: string,
  maxBytes: number,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const limit = 2 * maxBytes;
  const controller = new AbortController();
  const timer = setInterval(() => {
    folderBytes(dir).then(
      (bytes) => {
        if (bytes > limit)
          controller.abort(
            badRequest(
              `The fetched commit is larger than ${Math.round(limit / 1024 / 1024)} MiB; a bundle holds at most ${Math.round(maxBytes / 1024 / 1024)} MiB compressed. Deploy a subfolder (\`path\`) of a smaller repository.`,
            ),
          );
      },
      () => {},
    );
  }, 500);
  try {
    return await run(controller.signal);
  } finally {
    clearInterval(timer);
  }
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      total += (await stat(join(entry.parentPath, entry.name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}
