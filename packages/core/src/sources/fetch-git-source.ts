// Placeholder with the contract's signature (issue 13): the git-source work replaces this file
// with the real fetch (git CLI, argument arrays, throw-away HOME, no credential in argv or errors).

export interface GitCommit {
  sha: string;
  ref: string;
  message: string;
  author: string;
  date: string;
}

export interface FetchGitSourceInput {
  url: string;
  /** A branch, a tag or a 40-hex commit. */
  ref: string;
  /** The project folder inside the repository. */
  path?: string;
  /** The secret's value: a token or an OpenSSH private key. */
  credential?: string;
  /** May the URL name a loopback or private address (a setting, like webhooks)? */
  allowPrivate: boolean;
  signal?: AbortSignal;
}

/** Fetches the ref and packs the project folder as a bundle (see bundles/inspect-bundle.ts). */
export async function fetchGitSource(
  _input: FetchGitSourceInput,
): Promise<{ data: Buffer; commit: GitCommit }> {
  throw new Error("git sources are not built yet");
}
