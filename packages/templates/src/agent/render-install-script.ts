// The agent install script served to `curl -fsSL <url>/install.sh | sh`. POSIX sh, checked by
// `sh -n` and shellcheck in the tests. Every rendered value is validated against a strict pattern
// and single-quoted, so nothing in it is ever evaluated by the shell.
import { DEFAULT_HOST_POLICY } from "../workflow/host-policy";
import { HOST_NAME_PATTERN } from "../workflow/spec";
import { ENROLLMENT_TOKEN_PATTERN } from "./render-agent-compose";
import {
  AGENT_BINARY_PATH,
  AGENT_BUNDLE_PATH,
  AGENT_CONFIG_FILE,
  AGENT_EXECUTABLE_PATH,
  AGENT_POLICY_FILE,
  AGENT_STATE_DIR,
  AGENT_UNIT_NAME,
  renderAgentUnit,
} from "./render-agent-unit";

export interface RenderInstallScriptInput {
  /** Control plane URL the agent dials, e.g. https://capstan.example.com */
  url: string;
  /** One-time enrollment token; may also be given as --token when running the script. */
  enrollmentToken?: string;
  /** sha256 of the agent executable per architecture, as served by /api/agent/v1/agent-binary. */
  sha256: Partial<Record<"x64" | "arm64", string>>;
  /**
   * sha256 of the JavaScript bundle (capstan-agent.cjs), served by
   * /api/agent/v1/agent-binary?arch=...&format=bundle. Used when no executable fits the host's
   * architecture and Node.js 20 or newer is installed.
   */
  bundleSha256?: string;
  hostName?: string;
  /** key=value,key=value */
  labels?: string;
}

const LABELS_PATTERN =
  /^([a-z0-9][a-z0-9_.-]{0,62}=[A-Za-z0-9_.-]{0,63})(,[a-z0-9][a-z0-9_.-]{0,62}=[A-Za-z0-9_.-]{0,63})*$/;

/** A control plane URL that is safe to render into a script: no quotes, spaces or `$`. */
export const PLAIN_URL_PATTERN = /^https?:\/\/[A-Za-z0-9.:[\]_~%/-]+$/;

export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

export function renderInstallScript(input: RenderInstallScriptInput): string {
  if (!PLAIN_URL_PATTERN.test(input.url)) throw new Error("url must be a plain http(s) URL");
  if (input.enrollmentToken !== undefined && !ENROLLMENT_TOKEN_PATTERN.test(input.enrollmentToken))
    throw new Error("invalid enrollment token");
  if (input.hostName !== undefined && !HOST_NAME_PATTERN.test(input.hostName))
    throw new Error("invalid host name");
  if (input.labels !== undefined && input.labels !== "" && !LABELS_PATTERN.test(input.labels))
    throw new Error("labels must look like key=value,key=value");
  for (const [arch, hash] of Object.entries({
    ...input.sha256,
    bundle: input.bundleSha256 ?? "0".repeat(64),
  })) {
    if (!/^[0-9a-f]{64}$/.test(hash ?? "")) throw new Error(`sha256 for ${arch} must be 64 hex digits`);
  }
  const url = input.url.replace(/\/+$/, "");
  const unit = renderAgentUnit();
  const bundleUnit = renderAgentUnit({ exec: ["/usr/bin/env", "node", AGENT_BUNDLE_PATH, "run"] });
  // The host-local ceiling starts at deny-all: the dashboard's policy can narrow it, never widen it.
  const policy = JSON.stringify(DEFAULT_HOST_POLICY, null, 2);
  return `#!/bin/sh
# Capstan agent installer for ${url}
#   install or upgrade:  curl -fsSL ${url}/install.sh | sudo sh -s -- [--token TOKEN] [--name NAME] [--labels k=v,...] [--pin sha256:HEX]
#   uninstall:           sudo sh install.sh --uninstall [--purge]
# Re-running it upgrades the agent in place and keeps the host's identity in ${AGENT_STATE_DIR}.
set -eu

CAPSTAN_URL=${shellQuote(url)}
TOKEN=${shellQuote(input.enrollmentToken ?? "")}
HOST_NAME=${shellQuote(input.hostName ?? "")}
LABELS=${shellQuote(input.labels ?? "")}
SHA256_X64=${shellQuote(input.sha256.x64 ?? "")}
SHA256_ARM64=${shellQuote(input.sha256.arm64 ?? "")}
SHA256_BUNDLE=${shellQuote(input.bundleSha256 ?? "")}
# sha256 (hex) of the control plane's public key (SPKI): pins this script's downloads and the agent.
PIN=''

BIN=${AGENT_EXECUTABLE_PATH}
BUNDLE=${AGENT_BUNDLE_PATH}
LINK=${AGENT_BINARY_PATH}
# Where installers before agent upgrades put the agent; a re-run moves it.
OLD_BUNDLE=/usr/local/lib/capstan/capstan-agent.cjs
CONFIG=${AGENT_CONFIG_FILE}
POLICY=${AGENT_POLICY_FILE}
STATE_DIR=${AGENT_STATE_DIR}
UNIT=/etc/systemd/system/${AGENT_UNIT_NAME}
MODE=install
PURGE=no

say() { printf 'capstan: %s\\n' "$*"; }
die() { printf 'capstan: error: %s\\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --token) [ $# -ge 2 ] || die "--token needs a value"; TOKEN=$2; shift 2 ;;
    --name) [ $# -ge 2 ] || die "--name needs a value"; HOST_NAME=$2; shift 2 ;;
    --labels) [ $# -ge 2 ] || die "--labels needs a value"; LABELS=$2; shift 2 ;;
    --pin) [ $# -ge 2 ] || die "--pin needs a value"; PIN=$2; shift 2 ;;
    --uninstall) MODE=uninstall; shift ;;
    --purge) PURGE=yes; shift ;;
    -h|--help) sed -n '2,5p' "$0" 2>/dev/null || true; exit 0 ;;
    *) die "unknown option: $1" ;;
  esac
done

# Values given on the command line reach a config file: hold them to the agent's own patterns.
check() {
  printf '%s' "$2" | grep -Eq "$3" || die "$1 has unexpected characters"
}
[ -z "$TOKEN" ] || check "the token" "$TOKEN" '^[A-Za-z0-9_.~-]{8,512}$'
[ -z "$HOST_NAME" ] || check "the host name" "$HOST_NAME" '^[a-z0-9][a-z0-9.-]{0,62}$'
[ -z "$PIN" ] || check "the pin (sha256:<64 lower-case hex digits>)" "$PIN" '^sha256:[0-9a-f]{64}$'
if [ -n "$PIN" ]; then
  case "$CAPSTAN_URL" in https://*) ;; *) die "--pin needs an https:// control plane URL" ;; esac
fi
[ -z "$LABELS" ] || check "the labels" "$LABELS" '^[a-z0-9][a-z0-9_.-]{0,62}=[A-Za-z0-9_.-]{0,63}(,[a-z0-9][a-z0-9_.-]{0,62}=[A-Za-z0-9_.-]{0,63})*$'

[ "$(id -u)" -eq 0 ] || die "run as root (for example with sudo)"
[ "$(uname -s)" = Linux ] || die "the agent runs on Linux only"

uninstall() {
  if command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now ${AGENT_UNIT_NAME} >/dev/null 2>&1 || true
  fi
  rm -f "$UNIT" "$BIN" "$BUNDLE" "$BIN.previous" "$BUNDLE.previous" "$OLD_BUNDLE"
  if [ -L "$LINK" ]; then rm -f "$LINK"; fi
  if command -v systemctl >/dev/null 2>&1; then systemctl daemon-reload || true; fi
  say "removed the agent and its unit"
  say "services deployed by Capstan keep running; remove them by hand if you no longer need them:"
  if command -v systemctl >/dev/null 2>&1; then
    systemctl list-units --all --no-legend --plain 'capstan-*.service' 2>/dev/null | sed 's/^/  systemd: /' || true
  fi
  if command -v docker >/dev/null 2>&1; then
    docker ps --filter 'label=com.docker.compose.project' --format '{{.Label "com.docker.compose.project"}} {{.Names}}' 2>/dev/null |
      grep '^capstan-' | sed 's/^/  compose: /' || true
  fi
  if [ "$PURGE" = yes ]; then
    rm -rf "$STATE_DIR" "$(dirname "$CONFIG")"
    say "purged $STATE_DIR and $(dirname "$CONFIG") (this host must be enrolled again)"
  else
    say "kept $STATE_DIR (host identity) and $CONFIG; --purge removes them"
  fi
}

if [ "$MODE" = uninstall ]; then
  uninstall
  exit 0
fi

case "$(uname -m)" in
  x86_64|amd64) ARCH=x64; EXPECTED=$SHA256_X64 ;;
  aarch64|arm64) ARCH=arm64; EXPECTED=$SHA256_ARM64 ;;
  *) die "unsupported CPU architecture: $(uname -m)" ;;
esac
FORMAT=executable
if [ -z "$EXPECTED" ]; then
  # No single executable for this architecture: the JavaScript bundle runs on Node.js >= 20.
  if [ -n "$SHA256_BUNDLE" ] && command -v node >/dev/null 2>&1 &&
    node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
    FORMAT=bundle
    EXPECTED=$SHA256_BUNDLE
  else
    die "the control plane has no agent executable for linux-$ARCH (the JavaScript bundle needs Node.js 20 or newer)"
  fi
fi

OS=unknown
if [ -r /etc/os-release ]; then
  OS=$(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"')
fi
say "host: $OS, linux-$ARCH"

if [ ! -d /run/systemd/system ] || ! command -v systemctl >/dev/null 2>&1; then
  die "systemd is not running here; use the agent's container mode (see the Capstan docs)"
fi
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  say "Docker: $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo running)"
else
  say "Docker: not available (Compose services cannot run on this host until it is)"
fi

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
  else openssl dgst -sha256 -r "$1" | cut -d' ' -f1
  fi
}

# curl takes a pin as base64 (sha256//...): hex pairs -> octal escapes -> bytes -> base64.
pin_base64() {
  printf '%b' "$(printf '%s' "\${PIN#sha256:}" | awk '{ h = "0123456789abcdef"; for (i = 1; i < length($0); i += 2) printf "\\\\0%o", (index(h, substr($0, i, 1)) - 1) * 16 + index(h, substr($0, i + 1, 1)) - 1 }')" | base64 | tr -d '\\n'
}

fetch() {
  if [ -n "$PIN" ]; then
    command -v curl >/dev/null 2>&1 || die "--pin needs curl"
    curl -fsSL --proto '=https' --retry 3 --pinnedpubkey "sha256//$(pin_base64)" -o "$2" "$1"
  elif command -v curl >/dev/null 2>&1; then curl -fsSL --proto '=https,http' --retry 3 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then wget -q -O "$2" "$1"
  else die "neither curl nor wget is installed"
  fi
}

TARGET=$BIN
QUERY="arch=$ARCH"
if [ "$FORMAT" = bundle ]; then TARGET=$BUNDLE; QUERY="arch=$ARCH&format=bundle"; fi
mkdir -p "$(dirname "$TARGET")"
TMP=$(mktemp "$TARGET.XXXXXX")
trap 'rm -f "$TMP"' EXIT
say "downloading the agent from $CAPSTAN_URL"
fetch "$CAPSTAN_URL/api/agent/v1/agent-binary?$QUERY" "$TMP" || die "download failed"
ACTUAL=$(sha256_of "$TMP")
[ "$ACTUAL" = "$EXPECTED" ] || die "sha256 mismatch: expected $EXPECTED, got $ACTUAL (nothing was installed)"
chmod 0755 "$TMP"
mv -f "$TMP" "$TARGET"
trap - EXIT
if [ "$FORMAT" = executable ]; then ln -sfn "$BIN" "$LINK"; fi
rm -f "$OLD_BUNDLE"

umask 077
mkdir -p "$(dirname "$CONFIG")" "$STATE_DIR"
chmod 0700 "$(dirname "$CONFIG")" "$STATE_DIR"
if [ -f "$STATE_DIR/host.json" ]; then
  say "already enrolled: keeping the identity in $STATE_DIR"
  UPGRADE=yes
else
  UPGRADE=no
  [ -n "$TOKEN" ] || [ -f "$CONFIG" ] || die "an enrollment token is needed: --token TOKEN"
fi
if [ ! -f "$CONFIG" ] || { [ "$UPGRADE" = no ] && [ -n "$TOKEN" ]; }; then
  {
    printf 'CAPSTAN_URL=%s\\n' "$CAPSTAN_URL"
    if [ "$UPGRADE" = no ] && [ -n "$TOKEN" ]; then printf 'CAPSTAN_ENROLLMENT_TOKEN=%s\\n' "$TOKEN"; fi
    if [ -n "$HOST_NAME" ]; then printf 'CAPSTAN_HOST_NAME=%s\\n' "$HOST_NAME"; fi
    if [ -n "$LABELS" ]; then printf 'CAPSTAN_LABELS=%s\\n' "$LABELS"; fi
  } > "$CONFIG.tmp"
  chmod 0600 "$CONFIG.tmp"
  mv -f "$CONFIG.tmp" "$CONFIG"
fi
if [ -n "$PIN" ]; then
  { grep -v '^CAPSTAN_PIN=' "$CONFIG" || true; printf 'CAPSTAN_PIN=%s\\n' "$PIN"; } > "$CONFIG.tmp"
  chmod 0600 "$CONFIG.tmp"
  mv -f "$CONFIG.tmp" "$CONFIG"
fi

# The host-local policy is the host admin's: written once, never replaced by an upgrade.
if [ -e "$POLICY" ] || [ -L "$POLICY" ]; then
  say "keeping the host-local policy in $POLICY"
else
  cat > "$POLICY.tmp" <<'CAPSTAN_POLICY'
${policy}
CAPSTAN_POLICY
  chown 0:0 "$POLICY.tmp"
  chmod 0644 "$POLICY.tmp"
  mv -f "$POLICY.tmp" "$POLICY"
  say "wrote the host-local policy $POLICY (deny-all: edit it to allow more on this host)"
fi

if [ "$FORMAT" = bundle ]; then
  cat > "$UNIT.tmp" <<'CAPSTAN_UNIT'
${bundleUnit}CAPSTAN_UNIT
else
  cat > "$UNIT.tmp" <<'CAPSTAN_UNIT'
${unit}CAPSTAN_UNIT
fi
chmod 0644 "$UNIT.tmp"
mv -f "$UNIT.tmp" "$UNIT"
systemctl daemon-reload
systemctl enable ${AGENT_UNIT_NAME} >/dev/null 2>&1
systemctl restart ${AGENT_UNIT_NAME}
say "agent ($FORMAT) is running: systemctl status ${AGENT_UNIT_NAME}"
`;
}
