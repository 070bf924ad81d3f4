// The agent's own systemd unit. The agent runs as root (it drives systemctl and Docker), so the
// hardening here only removes what it never needs, and keeps writable exactly the places it writes.
import { escapePath, quoteExecArgument } from "../systemd/escape";

export interface RenderAgentUnitInput {
  /** argv of the agent; default the single executable. */
  exec?: string[];
  configFile?: string;
  stateDir?: string;
  unitDir?: string;
}

export const AGENT_UNIT_NAME = "capstan-agent.service";
export const AGENT_CONFIG_FILE = "/etc/capstan/agent.env";
/** The host-local policy (root-owned, 0644), intersected with the control plane's. */
export const AGENT_POLICY_FILE = "/etc/capstan/policy.json";
export const AGENT_STATE_DIR = "/var/lib/capstan";
/**
 * The installed agent lives in the state folder, the one place the hardened unit lets it write,
 * so it can replace itself when upgraded from the dashboard (apps/agent/src/upgrade.ts).
 */
export const AGENT_EXECUTABLE_PATH = `${AGENT_STATE_DIR}/bin/capstan-agent`;
export const AGENT_BUNDLE_PATH = `${AGENT_STATE_DIR}/bin/capstan-agent.cjs`;
/** A symlink to the executable, so `capstan-agent status` works from a shell. */
export const AGENT_BINARY_PATH = "/usr/local/bin/capstan-agent";

export function renderAgentUnit(input: RenderAgentUnitInput = {}): string {
  const [program, ...args] = input.exec ?? [AGENT_EXECUTABLE_PATH, "run"];
  if (!program) throw new Error("exec must name a program");
  const configFile = escapePath(input.configFile ?? AGENT_CONFIG_FILE, "configFile");
  const stateDir = escapePath(input.stateDir ?? AGENT_STATE_DIR, "stateDir");
  const unitDir = escapePath(input.unitDir ?? "/etc/systemd/system", "unitDir");
  const configDir = configFile.replace(/\/[^/]+$/, "") || "/";
  return `# Capstan agent. Installed by the Capstan install script; re-running it upgrades in place.
[Unit]
Description=Capstan agent
After=network-online.target docker.service
Wants=network-online.target
StartLimitIntervalSec=0

[Service]
Type=exec
ExecStart=${[escapePath(program, "exec[0]"), ...args.map((a) => quoteExecArgument(a))].join(" ")}
Environment=CAPSTAN_CONFIG_FILE=${configFile} CAPSTAN_STATE_DIR=${stateDir} CAPSTAN_SYSTEMD_UNIT_DIR=${unitDir}
Restart=always
RestartSec=5
# The first SIGTERM lets the current deploy step finish; systemd waits for it, then kills what is left.
KillMode=mixed
TimeoutStopSec=180
NoNewPrivileges=yes
ProtectSystem=full
ReadWritePaths=${stateDir} ${configDir} ${unitDir}
ProtectHome=read-only
PrivateTmp=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectClock=yes
LockPersonality=yes
RestrictRealtime=yes
UMask=0077

[Install]
WantedBy=multi-user.target
`;
}
