// TEMPORARY: minimal renderers used until packages/templates publishes its compose and systemd
// renderers; replaced by those (see render.ts).

import { stringify } from "yaml";
import type { ComposeRenderInput, SystemdRenderInput } from "./render";
import type { ComposeFiles } from "./runtimes/compose";
import type { SystemdPaths } from "./runtimes/systemd";

function envLines(env: Record<string, string>, secrets: Record<string, string>): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries({ ...env, ...secrets })) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || /[\0\r\n]/.test(v))
      throw new Error(`refused env entry ${k.slice(0, 40)}`);
    out.push(`${k}=${v}`);
  }
  return `${out.join("\n")}\n`;
}

export function renderCompose(input: ComposeRenderInput): ComposeFiles {
  const doc = structuredClone(input.spec.compose.inline ?? {}) as {
    services?: Record<string, Record<string, unknown>>;
  };
  for (const svc of Object.values(doc.services ?? {})) svc.env_file = [".env"];
  return { compose: stringify(doc), env: envLines(input.spec.env, input.secrets) };
}

const quote = (arg: string) =>
  `"${arg.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%").replace(/\$/g, "$$$$")}"`;

export function renderSystemd(input: SystemdRenderInput) {
  const { spec } = input;
  return {
    env: envLines(spec.env, input.secrets),
    unit(paths: SystemdPaths): string {
      const exec = spec.systemd.exec.map((a, i) =>
        i === 0 && a.startsWith("current/") ? `${paths.serviceDir}/${a}` : quote(a),
      );
      return [
        "[Unit]",
        `Description=Capstan ${input.workflow}/${input.service}`,
        "",
        "[Service]",
        `ExecStart=${exec.join(" ")}`,
        `EnvironmentFile=${paths.envFile}`,
        `WorkingDirectory=${paths.serviceDir}/current`,
        "DynamicUser=yes",
        `Restart=${spec.systemd.restart}`,
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "PrivateDevices=yes",
        "PrivateUsers=yes",
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectKernelLogs=yes",
        "ProtectControlGroups=yes",
        "ProtectClock=yes",
        "ProtectHostname=yes",
        "ProtectProc=invisible",
        "ProcSubset=pid",
        "RestrictNamespaces=yes",
        "RestrictSUIDSGID=yes",
        "RestrictRealtime=yes",
        "LockPersonality=yes",
        "RemoveIPC=yes",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "CapabilityBoundingSet=",
        "SystemCallArchitectures=native",
        "SystemCallFilter=@system-service",
        "UMask=0077",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
      ].join("\n");
    },
  };
}
