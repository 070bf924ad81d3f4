// Keeps Caddy running and hands out its admin client. On a systemd host Caddy is the unit
// `capstan-ingress.service` (survives agent restarts and upgrades); elsewhere a child process of
// the agent. Both start Caddy with `--resume`, so a Caddy restart brings back the last config the
// agent loaded (Caddy saves it in <state>/ingress/config, mode 0600) before the agent is back.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../exec";
import { type CaddyAdmin, caddyAdmin } from "./caddy-admin";
import type { InstallLog } from "./caddy-install";
import {
  type CaddyChild,
  type CaddyPaths,
  caddyEnv,
  startCaddyChild,
  waitForAdmin,
  writeBootstrapConfig,
} from "./caddy-process";
import { migrateQueuedConnections } from "./tcp-migrate";

export const INGRESS_UNIT = "capstan-ingress.service";
const SYSCTL_DIR = "/etc/sysctl.d";

export interface IngressProcess {
  /**
   * Starts Caddy when it is not running; resolves once its admin socket answers. `log` gets
   * progress worth a deploy log line (installing Caddy).
   */
  ensure(signal: AbortSignal, log?: InstallLog): Promise<CaddyAdmin>;
  stop(): Promise<void>;
}

export function childIngressProcess(
  paths: CaddyPaths,
  caddy = "/usr/bin/caddy",
): IngressProcess & { output(): string } {
  let child: CaddyChild | undefined;
  return {
    async ensure(signal, log) {
      if (child && (await child.admin.reachable())) return child.admin;
      await child?.stop();
      const problem = migrateQueuedConnections();
      if (problem) log?.("warn", problem);
      child = await startCaddyChild(paths, signal, caddy);
      return child.admin;
    },
    async stop() {
      await child?.stop();
      child = undefined;
    },
    output: () => child?.output() ?? "",
  };
}

/** The unit's text: Caddy with its environment and a hardened sandbox writable only in its folder. */
export function renderIngressUnit(paths: CaddyPaths, caddy = "/usr/bin/caddy"): string {
  const env = Object.entries(caddyEnv(paths))
    .map(([k, v]) => `Environment=${k}=${String(v).replaceAll("%", "%%")}`)
    .join("\n");
  return `# Written by capstan-agent: the host's ingress, configured only through its admin socket.
[Unit]
Description=Capstan ingress (Caddy)
After=network-online.target
Wants=network-online.target

[Service]
Type=notify
ExecStart=${caddy} run --resume --config ${paths.bootstrap}
${env}
Restart=on-failure
RestartSec=2
LimitNOFILE=1048576
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
ProtectKernelLogs=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictNamespaces=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK
UMask=0077
ReadWritePaths=${paths.dir}
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
AmbientCapabilities=CAP_NET_BIND_SERVICE

[Install]
WantedBy=multi-user.target
`;
}

export function systemdIngressProcess(
  paths: CaddyPaths,
  unitDir: string,
  caddy = "/usr/bin/caddy",
): IngressProcess {
  const admin = caddyAdmin(paths.socket);
  const systemctl = async (...args: string[]) => {
    const result = await run("systemctl", args, { timeoutMs: 60_000 });
    if (result.code !== 0) throw new Error(`systemctl ${args.join(" ")} failed: ${result.stderr.trim()}`);
  };
  return {
    async ensure(signal, log) {
      if (await admin.reachable()) return admin;
      // Also in sysctl.d: after a reboot Caddy (an enabled unit) starts before the agent does.
      const problem = migrateQueuedConnections(undefined, existsSync(SYSCTL_DIR) ? SYSCTL_DIR : undefined);
      if (problem) log?.("warn", problem);
      writeBootstrapConfig(paths);
      // Debian's caddy package starts its own caddy.service on :80 with a sample Caddyfile; the
      // host's ingress is this unit, so that one is stopped and disabled (absent is fine).
      await run("systemctl", ["disable", "--now", "caddy.service"], { timeoutMs: 60_000 });
      writeFileSync(join(unitDir, INGRESS_UNIT), renderIngressUnit(paths, caddy), { mode: 0o644 });
      await systemctl("daemon-reload");
      await systemctl("enable", "--now", INGRESS_UNIT);
      await waitForAdmin(admin, signal);
      return admin;
    },
    async stop() {
      await systemctl("stop", INGRESS_UNIT);
    },
  };
}
