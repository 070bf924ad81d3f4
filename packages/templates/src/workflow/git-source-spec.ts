// What a `source.git` names: a repository URL and a ref. Both reach the `git` CLI as single argv
// elements, but git itself parses them (a URL starting with `-` is an option, `ext::` runs a
// command, `file://` reads the control plane's own disk), so both are allowlisted. Kept free of
// imports from spec.ts so spec.ts can compose it; the control plane checks them again before git
// runs (packages/core/src/sources).

/** A full commit id: deploys pin it exactly, no resolution. */
export const GIT_COMMIT_PATTERN = /^[0-9a-f]{40}$/;

const HOST = "[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})";
const IPV6 = "\\[[0-9A-Fa-f:.]{2,45}\\]";
const USER = "[A-Za-z0-9_][A-Za-z0-9._-]{0,63}";
const PATH = "[A-Za-z0-9._~/+-]*";
const URL_PATTERN = new RegExp(
  `^(https?|ssh)://(?:(${USER})@)?(${HOST}|${IPV6})(?::([0-9]{1,5}))?(/${PATH})$`,
);
/** `git@github.com:owner/repo.git`, OpenSSH's scp-like form (the user part is required). */
const SCP_PATTERN = new RegExp(`^(${USER})@(${HOST}):([A-Za-z0-9._~+][A-Za-z0-9._~/+-]*)$`);

export interface GitUrl {
  scheme: "https" | "http" | "ssh";
  host: string;
  port: number | null;
  user: string | null;
  /** Path on the server as written (starts with "/" except in the scp-like form). */
  path: string;
}

const ALLOWED_FORMS =
  "use https://host/owner/repo.git, http://host/... (private networks only where allowed), ssh://git@host/owner/repo.git or git@host:owner/repo.git";

/** The parsed URL, or a sentence saying what is wrong with it. */
export function parseGitUrl(url: string): GitUrl | string {
  if (url.length === 0 || url.length > 2048) return "must be a repository URL of at most 2048 characters";
  if ([...url].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) || /\s/.test(url))
    return "must not contain whitespace or control characters";
  if (url.startsWith("-")) return "must not start with '-' (git would read it as an option)";
  if (/^file:|^[A-Za-z0-9+.-]*::/i.test(url))
    return `local (file://) and command (ext::) transports are refused; ${ALLOWED_FORMS}`;
  const full = URL_PATTERN.exec(url);
  if (full) {
    const [, scheme, user, host, port, path] = full;
    const portNumber = port === undefined ? null : Number(port);
    if (portNumber !== null && (portNumber < 1 || portNumber > 65535)) return "has an invalid port";
    if (path!.split("/").includes("..")) return "must not contain '..'";
    return {
      scheme: scheme as GitUrl["scheme"],
      host: host!.replace(/^\[|\]$/g, ""),
      port: portNumber,
      user: user ?? null,
      path: path!,
    };
  }
  const scp = SCP_PATTERN.exec(url);
  if (scp) {
    const [, user, host, path] = scp;
    if (path!.split("/").includes("..")) return "must not contain '..'";
    return { scheme: "ssh", host: host!, port: null, user: user!, path: path! };
  }
  if (/^[a-z]+:\/\/[^/]*:[^/@]*@/i.test(url))
    return "must not contain a password: keep the token in a secret and name it in `credentials`";
  return `is not a repository URL Capstan fetches from; ${ALLOWED_FORMS} (letters, digits and . _ ~ / + - in the path)`;
}

/** Why `url` is refused, or null. */
export function gitUrlProblem(url: string): string | null {
  const parsed = parseGitUrl(url);
  return typeof parsed === "string" ? parsed : null;
}

/**
 * A branch or tag name (`main`, `v1.2.0`, `release/2026-01`, `refs/heads/main`) following
 * `git check-ref-format`, narrowed to an allowlist of characters, or a full 40-hex commit id.
 */
export function gitRefProblem(ref: string): string | null {
  if (GIT_COMMIT_PATTERN.test(ref)) return null;
  if (ref.length === 0 || ref.length > 255) return "must be a branch, tag or commit of 1-255 characters";
  if (!/^[A-Za-z0-9_][A-Za-z0-9._/+-]*$/.test(ref))
    return "must be a branch or tag name (letters, digits and . _ / + -, not starting with '-', '.' or '/') or a full 40-character commit id";
  const parts = ref.split("/");
  if (ref.includes("..") || parts.some((p) => p === "" || p.startsWith(".") || p.endsWith(".lock")))
    return "is not a valid Git ref name (no '..', '//', components starting with '.' or ending in '.lock')";
  if (ref.endsWith(".")) return "must not end with '.'";
  return null;
}
