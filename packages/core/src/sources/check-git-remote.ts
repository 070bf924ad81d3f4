// A repository URL is checked in full before git runs: the allowlisted forms only (see
// templates' git-source-spec.ts), and the host's address under the outbound policy webhooks use:
// link-local (cloud metadata) never, loopback and private ranges only when allowed. The address
// checked is handed to git (git-session.ts pins it), so git never resolves the name again.
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { refusedAddress } from "@capstan/protocol/net/address-policy";
import { type GitUrl, parseGitUrl } from "@capstan/templates/workflow/git-source-spec";
import { badRequest } from "../errors";

export interface GitRemote extends GitUrl {
  /** The URL as written (it holds no password: those are refused). */
  url: string;
  /** The port git connects to (the scheme's default when the URL names none). */
  port: number;
  /** The checked IP address git connects to. */
  address: string;
}

const DEFAULT_PORTS = { https: 443, http: 80, ssh: 22 } as const;

export async function checkGitRemote(url: string, options: { allowPrivate: boolean }): Promise<GitRemote> {
  const parsed = parseGitUrl(url);
  if (typeof parsed === "string") throw badRequest(`The repository URL ${parsed}.`);
  let addresses: string[];
  if (isIP(parsed.host)) addresses = [parsed.host];
  else {
    try {
      addresses = (await lookup(parsed.host, { all: true })).map((a) => a.address);
    } catch {
      throw badRequest(`The repository host ${parsed.host} could not be resolved; check the URL.`);
    }
  }
  for (const address of addresses) {
    const why = refusedAddress(address, { allowPrivate: options.allowPrivate });
    if (why) throw badRequest(`The repository host ${parsed.host} is refused: ${why}.`);
  }
  return {
    ...parsed,
    url,
    port: parsed.port ?? DEFAULT_PORTS[parsed.scheme],
    address: addresses[0]!,
  };
}
