// The CLI install script served to `curl -fsSL <url>/cli | sh`. POSIX sh, checked by `sh -n` and
// shellcheck in the tests. It installs for the user running it (no root): the single-file CLI the
// control plane serves at /cli/capstan.mjs, checked against the sha256 rendered in here. The two
// rendered values are validated against strict patterns and single-quoted.
import { PLAIN_URL_PATTERN, shellQuote } from "../agent/render-install-script";

export interface RenderCliInstallScriptInput {
  /** The control plane's public URL, e.g. https://capstan.example.com */
  url: string;
  /** sha256 of the capstan.mjs served at <url>/cli/capstan.mjs */
  sha256: string;
}

/** The Node.js major version the CLI's build targets (apps/cli/scripts/build.mjs: node20). */
export const CLI_MIN_NODE_MAJOR = 20;

export function renderCliInstallScript(input: RenderCliInstallScriptInput): string {
  if (!PLAIN_URL_PATTERN.test(input.url)) throw new Error("url must be a plain http(s) URL");
  if (!/^[0-9a-f]{64}$/.test(input.sha256)) throw new Error("sha256 must be 64 hex digits");
  const url = input.url.replace(/\/+$/, "");
  return `#!/bin/sh
# Capstan CLI installer for ${url}
#   curl -fsSL ${url}/cli | sh                          installs ~/.local/bin/capstan
#   curl -fsSL ${url}/cli | sh -s -- --prefix /usr/local   installs /usr/local/bin/capstan (or PREFIX=...)
# Needs Node.js ${CLI_MIN_NODE_MAJOR} or newer and curl or wget. Re-running it upgrades in place.
set -eu

CAPSTAN_URL=${shellQuote(url)}
SHA256=${shellQuote(input.sha256)}
MIN_NODE=${CLI_MIN_NODE_MAJOR}

say() { printf 'capstan: %s\\n' "$*"; }
die() { printf 'capstan: error: %s\\n' "$*" >&2; exit 1; }

PREFIX=\${PREFIX:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a folder"; PREFIX=$2; shift 2 ;;
    -h|--help) sed -n '2,5p' "$0" 2>/dev/null || true; exit 0 ;;
    *) die "unknown option: $1 (the only option is --prefix DIR)" ;;
  esac
done
if [ -z "$PREFIX" ]; then
  [ -n "\${HOME:-}" ] || die "HOME is not set: name the install folder with --prefix DIR"
  PREFIX=$HOME/.local
fi
BIN_DIR=$PREFIX/bin
TARGET=$BIN_DIR/capstan

command -v node >/dev/null 2>&1 ||
  die "capstan runs on Node.js $MIN_NODE or newer, and there is no node on PATH. Install Node.js (https://nodejs.org/ or your distribution's nodejs package), then run this again."
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
case "$NODE_MAJOR" in '' | *[!0-9]*) NODE_MAJOR=0 ;; esac
[ "$NODE_MAJOR" -ge "$MIN_NODE" ] ||
  die "capstan runs on Node.js $MIN_NODE or newer; $(command -v node) is $(node --version 2>/dev/null || echo 'an unknown version'). Upgrade Node.js, then run this again."

mkdir -p "$BIN_DIR" || die "cannot create $BIN_DIR: choose another folder with --prefix DIR"
TMP=$BIN_DIR/.capstan.$$.tmp
trap 'rm -f "$TMP"' EXIT
if command -v curl >/dev/null 2>&1; then
  curl -fsSL -o "$TMP" "$CAPSTAN_URL/cli/capstan.mjs" || die "download of $CAPSTAN_URL/cli/capstan.mjs failed"
elif command -v wget >/dev/null 2>&1; then
  wget -qO "$TMP" "$CAPSTAN_URL/cli/capstan.mjs" || die "download of $CAPSTAN_URL/cli/capstan.mjs failed"
else
  die "neither curl nor wget is installed; install one, then run this again"
fi
# Node is there anyway, so it checks the hash: no dependency on sha256sum or shasum.
GOT=$(node -e 'process.stdout.write(require("crypto").createHash("sha256").update(require("fs").readFileSync(process.argv[1])).digest("hex"))' "$TMP")
[ "$GOT" = "$SHA256" ] ||
  die "the downloaded capstan.mjs has sha256 $GOT, expected $SHA256 (the control plane was upgraded meanwhile, or something changed it on the way): run this again"
chmod 755 "$TMP"
mv -f "$TMP" "$TARGET"
trap - EXIT

say "installed $("$TARGET" --version) at $TARGET (Node.js $(node --version))"
case ":$PATH:" in
  *":$BIN_DIR:"*) ;;
  *) say "$BIN_DIR is not on your PATH; add it, for example: export PATH=\\"$BIN_DIR:\\$PATH\\"" ;;
esac
say "next: capstan login --url $CAPSTAN_URL   (it asks for a team API token from the Team page)"
`;
}
