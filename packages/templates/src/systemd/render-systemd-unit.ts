// The unit file for a Capstan systemd service: `capstan-<workflow>-<service>.service`, hardened
// by default, every value escaped or refused. Secrets and environment go only to the
// EnvironmentFile (see render-environment-file.ts), never into `Environment=` lines.
import { NAME_PATTERN, PORT_ENV_PATTERN, type SystemdServiceSpec, serviceUnitName } from "../workflow/spec";
import { assertSingleLine, escapePath, quoteExecArgument, RenderError } from "./escape";
import { hardeningDirectives } from "./hardening";

export interface RenderSystemdUnitInput {
  workflow: string;
  service: string;
  spec: SystemdServiceSpec;
  /** The service's folder on the host: releases/, the `current` symlink, ... */
  serviceDir: string;
  /** Absolute path of the EnvironmentFile (written 0600 by the agent). */
  environmentFile: string;
  /** Hardening directives the host cannot apply; the agent finds them by probing. */
  omitDirectives?: readonly string[];
  /** Extra note in the header comment, e.g. the revision hash. */
  note?: string;
}

function inServiceDir(serviceDir: string, path: string): string {
  return path.startsWith("/") ? path : `${serviceDir.replace(/\/+$/, "")}/${path}`;
}

export function renderSystemdUnit(input: RenderSystemdUnitInput): string {
  const { workflow, service, spec } = input;
  if (!NAME_PATTERN.test(workflow)) throw new RenderError("workflow name does not match the name pattern");
  if (!NAME_PATTERN.test(service)) throw new RenderError("service name does not match the name pattern");
  const sd = spec.systemd;
  escapePath(input.serviceDir, "serviceDir");
  const rawServiceDir = input.serviceDir;

  const [program, ...args] = sd.exec;
  if (program === undefined) throw new RenderError("exec must name a program");
  const programPath = inServiceDir(rawServiceDir, program);
  if (programPath.split("/").includes("..")) throw new RenderError("exec[0] must not contain '..'");
  const exec = [
    escapePath(programPath, "exec[0]"),
    ...args.map((a, i) => quoteExecArgument(a, `exec[${i + 1}]`)),
  ];

  const workingDirectory =
    sd.workingDirectory !== undefined
      ? inServiceDir(rawServiceDir, sd.workingDirectory)
      : sd.artifact
        ? `${rawServiceDir.replace(/\/+$/, "")}/current`
        : undefined;

  const after = ["network-online.target", ...sd.after.filter((u) => u !== "network-online.target")];
  const wants = ["network-online.target", ...sd.wants.filter((u) => u !== "network-online.target")];
  const note = input.note === undefined ? "" : ` (${input.note})`;
  assertSingleLine(note, "note");

  const lines: string[] = [
    `# Rendered by Capstan for workflow ${workflow}, service ${service}${note.replace(/%/g, "%%")}.`,
    "# Capstan replaces this file on every deploy; change the workflow instead.",
    "[Unit]",
    `Description=Capstan ${workflow}/${service}`,
    `After=${after.join(" ")}`,
    `Wants=${wants.join(" ")}`,
  ];
  if (sd.requires.length > 0) lines.push(`Requires=${sd.requires.join(" ")}`);
  lines.push(
    // Restart= keeps trying; no start-rate limit so a flapping service is visible as failing
    // health, not as a unit systemd silently gave up on.
    "StartLimitIntervalSec=0",
    "",
    "[Service]",
    "Type=exec",
    `ExecStart=${exec.join(" ")}`,
  );
  // `kill` from systemd's fixed search path: the reload runs in the service's own sandbox.
  if (sd.reloadSignal) lines.push(`ExecReload=kill -s ${sd.reloadSignal} $MAINPID`);
  if (workingDirectory !== undefined)
    lines.push(`WorkingDirectory=${escapePath(workingDirectory, "workingDirectory")}`);
  lines.push(`EnvironmentFile=${escapePath(input.environmentFile, "environmentFile")}`);
  // A routed program reading its port from `portEnv` listens on the domains' port; the agent
  // gives the unit's second slot its own (a zero-downtime switch, apps/agent unit-slots.ts).
  const routedPort = spec.domains?.[0]?.port;
  if (sd.portEnv !== undefined && routedPort !== undefined) {
    if (!PORT_ENV_PATTERN.test(sd.portEnv))
      throw new RenderError("portEnv must be an environment variable name");
    lines.push(`Environment=${sd.portEnv}=${routedPort}`);
  }
  if (sd.user === "dynamic") lines.push("DynamicUser=yes");
  // No Group=: systemd uses the user's primary group, which need not share its name.
  else lines.push(`User=${sd.user}`);
  lines.push(`Restart=${sd.restart}`, `RestartSec=${sd.restartSec ?? 2}`, "TimeoutStopSec=30");
  if (sd.resources.cpuQuota) lines.push(`CPUQuota=${sd.resources.cpuQuota}`);
  if (sd.resources.memoryMax) lines.push(`MemoryMax=${sd.resources.memoryMax}`);
  if (sd.resources.tasksMax !== undefined) lines.push(`TasksMax=${sd.resources.tasksMax}`);
  for (const { name, value } of hardeningDirectives(sd.hardening, input.omitDirectives)) {
    assertSingleLine(value, `hardening.${name}`);
    lines.push(`${name}=${value.replace(/%/g, "%%")}`);
  }
  lines.push("", "[Install]", "WantedBy=multi-user.target", "");
  return lines.join("\n");
}

export function systemdUnitFileName(workflow: string, service: string): string {
  return serviceUnitName(workflow, service);
}
