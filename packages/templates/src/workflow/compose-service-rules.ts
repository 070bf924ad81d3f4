// The allowlist of Compose service keys. Every key is here: "safe" (it cannot reach past the
// container and its stack), or a rule naming the host-policy key that lets it widen that reach.
// Keys not listed are refused by checkKeys.
import { classifyProjectPath, envFileEntries, relWithin } from "../compose/compose-project";
import {
  checkHostPath,
  checkKeys,
  entries,
  insideStack,
  invalid,
  isDict,
  type KeyRule,
  type PolicyContext,
  refuse,
  show,
} from "./compose-policy-context";
import type { IssuePath } from "./workflow-issue";

const normaliseCap = (cap: string) => {
  const upper = cap.toUpperCase();
  return upper.startsWith("CAP_") ? upper : `CAP_${upper}`;
};

/** A rule for a boolean-or-list policy key (`true` allows all, a list allows those names). */
function listed(allowed: boolean | string[], name: string, normalise = (s: string) => s): boolean {
  return allowed === true || (Array.isArray(allowed) && allowed.map(normalise).includes(normalise(name)));
}

const namespaceValues: Record<string, string[]> = {
  network_mode: ["bridge", "none", "default"],
  pid: [],
  ipc: ["private", "shareable", "none"],
  uts: [],
  userns_mode: [],
};

/** `network_mode`, `pid`, `ipc`, `uts`, `userns_mode`: host and other containers need a key. */
function namespace(key: string): KeyRule {
  return (value, at, ctx) => {
    const text = String(value);
    if (namespaceValues[key]!.includes(text)) return;
    if (text === "host")
      refuse(
        ctx,
        at,
        `\`${key}: host\``,
        key === "network_mode" ? "allowHostNetwork" : "allowHostNamespaces",
      );
    else if (key !== "uts" && key !== "userns_mode" && insideStack(text, ctx)) return;
    else if (text.startsWith("container:") || text.startsWith("service:"))
      refuse(
        ctx,
        at,
        `\`${key}: ${text.slice(0, 80)}\` joins a container outside this stack and`,
        "allowHostNamespaces",
      );
    else
      invalid(
        ctx,
        at,
        `\`${key}: ${show(value)}\` is not a value Capstan allows (${[...namespaceValues[key]!, "service:<a service of this stack>"].join(", ")})`,
      );
  };
}

export function bindSource(volume: unknown): string | undefined {
  if (typeof volume === "string") {
    const parts = volume.split(":");
    if (parts.length < 2) return undefined;
    const source = parts[0]!;
    // Compose reads a source starting with . / or ~ as a path, anything else as a volume name;
    // a name with a / is no valid volume name, so it is checked as a path too.
    return /^[./~]/.test(source) || source.includes("/") ? source : undefined;
  }
  return undefined;
}

const mountRules: Record<string, KeyRule> = {
  type: "safe",
  source: "safe",
  target: "safe",
  read_only: "safe",
  consistency: "safe",
  bind: "safe",
  volume: "safe",
  tmpfs: "safe",
};

const volumes: KeyRule = (value, at, ctx) => {
  for (const [volume, where] of entries(value, at)) {
    if (!isDict(volume)) {
      const source = bindSource(volume);
      if (source !== undefined) checkHostPath(source, where, ctx);
      continue;
    }
    checkKeys(volume, where, mountRules, ctx);
    if (volume.type === "bind") checkHostPath(String(volume.source ?? ""), [...where, "source"], ctx);
    else if (volume.type !== "volume" && volume.type !== "tmpfs")
      invalid(
        ctx,
        [...where, "type"],
        `mount type ${show(volume.type)} is not allowed (bind, volume, tmpfs)`,
      );
  }
};

/** A Git URL builds remote code; a path is read from the host (or the project). */
export const isRemoteContext = (context: string) => /^([a-z]+:\/\/|git@|github\.com\/)/.test(context);

const buildContext = (value: unknown, at: IssuePath, ctx: PolicyContext) => {
  const context = String(value);
  if (isRemoteContext(context)) return;
  // In a project a relative context must be a folder of the bundle.
  if (ctx.project || context.startsWith("/") || context.startsWith("~") || context.split("/").includes(".."))
    checkHostPath(context, at, ctx, "build");
};

/** In a project the Dockerfile is read from the bundle: it must be a file inside the context. */
function projectDockerfile(build: Record<string, unknown>, at: IssuePath, ctx: PolicyContext): void {
  const project = ctx.project!;
  const context = String(build.context ?? ".");
  const where = classifyProjectPath(context, project);
  if (isRemoteContext(context) || where.kind !== "bundle" || build.dockerfile === undefined) return;
  const file = String(build.dockerfile);
  const inside = classifyProjectPath(file, { ...project, dir: where.rel });
  if (inside.kind === "bundle" && relWithin(inside.rel, where.rel)) return;
  invalid(
    ctx,
    [...at, "dockerfile"],
    inside.kind === "data" && relWithin(inside.rel, where.rel)
      ? `\`${file.slice(0, 80)}\` is not in the project: add it to the repository or the uploaded folder`
      : `\`${file.slice(0, 80)}\` must be a path inside the build context \`${context.slice(0, 80)}\``,
  );
}

const buildRules: Record<string, KeyRule> = {
  context: buildContext,
  dockerfile: (value, at, ctx) => {
    const file = String(value);
    if (ctx.project) return; // projectDockerfile, which knows the context
    if (file.startsWith("/") || file.startsWith("~") || file.split("/").includes(".."))
      checkHostPath(file, at, ctx);
  },
  args: "safe",
  labels: "safe",
  cache_from: "safe",
  target: "safe",
  shm_size: "safe",
  extra_hosts: "safe",
  network: (value, at, ctx) => {
    if (value === "host") refuse(ctx, at, "`build.network: host`", "allowHostNetwork");
    else if (!["default", "bridge", "none"].includes(String(value)))
      invalid(ctx, at, `\`build.network: ${show(value)}\` is not allowed (default, bridge, none)`);
  },
};

const deployRules: Record<string, KeyRule> = {
  mode: "safe",
  endpoint_mode: "safe",
  replicas: "safe",
  labels: "safe",
  rollback_config: "safe",
  update_config: "safe",
  restart_policy: "safe",
  placement: "safe",
  resources: (value, at, ctx) => {
    const devices = isDict(value) && isDict(value.reservations) ? value.reservations.devices : undefined;
    if (Array.isArray(devices) && devices.length > 0)
      refuse(ctx, [...at, "reservations", "devices"], "reserving GPUs and other devices", "allowGpus");
  },
};

const unsupportedOnLinux: KeyRule = (_v, at, ctx) =>
  invalid(ctx, at, "is a Windows container option; Capstan hosts run Linux containers");

/** Rules that depend only on whether the policy key is on. */
function gated(key: Parameters<typeof refuse>[3], what: string): KeyRule {
  return (value, at, ctx) => {
    const empty = value === false || value === null || (Array.isArray(value) && value.length === 0);
    if (!empty) refuse(ctx, at, what, key);
  };
}

export const SERVICE_RULES: Record<string, KeyRule> = {
  // Safe: the container's own process, resources, names, ports and the stack's own objects.
  image: "safe",
  command: "safe",
  entrypoint: "safe",
  environment: "safe",
  // Without a project, refused by checkComposeStructure (no files are shipped to hosts); in one,
  // relative files are the bundle's or generated (map-compose-project.ts), others are host files.
  env_file: (value, at, ctx) => {
    if (!ctx.project) return;
    for (const entry of envFileEntries(value, at))
      if (/^[/~]/.test(entry.path) || classifyProjectPath(entry.path, ctx.project).kind === "leaves")
        checkHostPath(entry.path, entry.at, ctx, "file");
  },
  healthcheck: "safe",
  labels: "safe",
  logging: "safe",
  // Publishing a port takes only a port nobody holds; low ports (80, 443) are what most real
  // stacks publish, and an exposed port reaches nothing on the host, so ports need no key.
  ports: "safe",
  expose: "safe",
  restart: "safe",
  depends_on: "safe",
  extends: "safe", // another service of this document, checked on its own
  links: "safe",
  networks: "safe", // networks of this stack; top-level `networks` rules check each one
  secrets: "safe",
  configs: "safe",
  working_dir: "safe",
  user: "safe",
  group_add: "safe",
  cap_drop: "safe",
  read_only: "safe",
  init: "safe",
  tty: "safe",
  stdin_open: "safe",
  stop_signal: "safe",
  stop_grace_period: "safe",
  hostname: "safe",
  domainname: "safe",
  dns: "safe",
  dns_opt: "safe",
  dns_search: "safe",
  // Only the container's own /etc/hosts; it reaches no address a bridge container cannot.
  extra_hosts: "safe",
  mac_address: "safe",
  container_name: "safe",
  profiles: "safe",
  platform: "safe",
  pull_policy: "safe",
  scale: "safe",
  tmpfs: "safe",
  ulimits: "safe",
  shm_size: "safe",
  storage_opt: "safe",
  blkio_config: "safe",
  cpu_count: "safe",
  cpu_percent: "safe",
  cpu_shares: "safe",
  cpu_quota: "safe",
  cpu_period: "safe",
  cpu_rt_period: "safe",
  cpu_rt_runtime: "safe",
  cpus: "safe",
  cpuset: "safe",
  mem_limit: "safe",
  mem_reservation: "safe",
  mem_swappiness: "safe",
  memswap_limit: "safe",
  pids_limit: "safe",
  oom_kill_disable: "safe",
  oom_score_adj: "safe",
  deploy: (value, at, ctx) => checkKeys(value, at, deployRules, ctx),
  build: (value, at, ctx) => {
    if (typeof value === "string") buildContext(value, at, ctx);
    else {
      checkKeys(value, at, buildRules, ctx);
      // A build without `context` builds the Compose file's folder.
      if (ctx.project && isDict(value)) {
        if (value.context === undefined) buildContext(".", at, ctx);
        projectDockerfile(value, at, ctx);
      }
    }
  },
  volumes,
  // Risky: each needs its host-policy key.
  privileged: (value, at, ctx) => {
    if (value !== false) refuse(ctx, at, "privileged containers", "allowPrivileged", "are");
  },
  cap_add: (value, at, ctx) => {
    for (const [cap, where] of entries(value, at))
      if (!listed(ctx.policy.allowCapabilities, String(cap), normaliseCap))
        refuse(ctx, where, `capability \`${String(cap).slice(0, 40)}\``, "allowCapabilities");
  },
  devices: gated("allowDevices", "passing host devices"),
  device_cgroup_rules: gated("allowDevices", "`device_cgroup_rules` (access to host devices)"),
  security_opt: (value, at, ctx) => {
    for (const [opt, where] of entries(value, at))
      refuse(ctx, where, `\`security_opt: ${show(opt)}\``, "allowSecurityOpt");
  },
  sysctls: (value, at, ctx) => {
    for (const [entry, where] of entries(value, at)) {
      const name = Array.isArray(entry) ? String(entry[0]) : String(entry).split("=")[0]!;
      if (!listed(ctx.policy.allowSysctls, name))
        refuse(ctx, where, `kernel parameter \`${name.slice(0, 60)}\``, "allowSysctls");
    }
  },
  network_mode: namespace("network_mode"),
  pid: namespace("pid"),
  ipc: namespace("ipc"),
  uts: namespace("uts"),
  userns_mode: namespace("userns_mode"),
  cgroup_parent: gated("allowCgroupParent", "`cgroup_parent`"),
  runtime: gated("allowRuntime", "`runtime`"),
  gpus: gated("allowGpus", "`gpus`"),
  volumes_from: (value, at, ctx) => {
    for (const [entry, where] of entries(value, at)) {
      const source = String(entry).replace(/:(ro|rw)$/, "");
      if (ctx.services.has(source)) continue;
      refuse(
        ctx,
        where,
        `\`volumes_from: ${source.slice(0, 80)}\` (a container outside this stack)`,
        "allowExternalVolumes",
      );
    }
  },
  external_links: gated("allowExternalNetworks", "`external_links` (containers outside this stack)"),
  isolation: unsupportedOnLinux,
  credential_spec: unsupportedOnLinux,
};

export function checkService(service: unknown, at: IssuePath, ctx: PolicyContext): void {
  checkKeys(service, at, SERVICE_RULES, ctx);
}
