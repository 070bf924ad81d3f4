// Capstan's checks on a Compose document beyond the Compose schema: what a host's policy allows
// and what cannot work on a host at all (files next to the workflow are not shipped to agents).
// The policy check is an allowlist: every key of the document, at the top level, in services and
// in volume, network, secret and config definitions, is either known to be safe, or checked by a
// rule naming the host-policy key that allows it, or refused. It runs on the interpolated
// document (prepare-compose-document.ts), never on `${...}` text.
import type { ComposeProject } from "../compose/compose-project";
import {
  type ComposeIssue,
  checkHostPath,
  checkKeys,
  invalid,
  isDict,
  type KeyRule,
  type PolicyContext,
  refuse,
  show,
} from "./compose-policy-context";
import { checkService } from "./compose-service-rules";
import type { HostPolicy } from "./host-policy";

export type { ComposeIssue } from "./compose-policy-context";

/**
 * Keys newer than the Compose schema we validate against, or that Capstan sets itself. With a
 * project folder, `name` is dropped with a notice and env files are read from it instead
 * (map-compose-project.ts).
 */
export function checkComposeStructure(doc: unknown, options: ComposePolicyOptions = {}): ComposeIssue[] {
  if (!isDict(doc)) return [{ path: [], message: "a Compose document must be a mapping" }];
  const issues: ComposeIssue[] = [];
  if ("name" in doc && !options.project)
    issues.push({
      path: ["name"],
      message: "Capstan names the project (capstan-<workflow>-<service>); remove `name`",
    });
  if ("include" in doc)
    issues.push({
      path: ["include"],
      message: "`include` is not supported: put the services in this document",
    });
  if (!isDict(doc.services) || Object.keys(doc.services).length === 0)
    issues.push({ path: ["services"], message: "a Compose document needs at least one service" });
  for (const [name, service] of Object.entries(isDict(doc.services) ? doc.services : {})) {
    if (!isDict(service)) continue;
    const at = ["services", name];
    if (isDict(service.extends) && "file" in service.extends)
      issues.push({
        path: [...at, "extends", "file"],
        // With project files the other file would be there, but the policy checks one document.
        message: options.project
          ? "extends from another file is not supported: Capstan checks one Compose document; extend a service in this document"
          : "extends from another file is not available on hosts; extend a service in this document",
      });
    if ("env_file" in service && !options.project)
      issues.push({
        path: [...at, "env_file"],
        message:
          "env files next to the workflow are not shipped to hosts; use the service's `env` and `secrets`",
      });
  }
  return issues;
}

/** `external`, or a fixed `name` (Compose reuses an existing object of that name: another stack's). */
const external = (key: "allowExternalVolumes" | "allowExternalNetworks", what: string): KeyRule => {
  return (value, at, ctx) => {
    if (value === false || value === null) return;
    const how =
      at.at(-1) === "name"
        ? `with a fixed name (${show(value)}) may be another stack's; it`
        : "made outside this stack";
    refuse(ctx, at, `${what} ${how}`, key);
  };
};

/** `o` options of a local volume that make it a bind of `device`. */
const BIND_OPTIONS = new Set(["bind", "rbind", "ro", "rw"]);
const TMPFS_OPTION = /^(size|mode|uid|gid|nr_inodes)=[0-9a-zA-Z%]+$/;

/** `driver_opts` of the local driver: a bind of a host path (allowHostPaths) or a tmpfs is fine. */
function volumeDriverOpts(volume: Record<string, unknown>, at: (string | number)[], ctx: PolicyContext) {
  const opts = volume.driver_opts;
  if (!isDict(opts) || Object.keys(opts).length === 0) return;
  const keys = Object.keys(opts);
  const o = String(opts.o ?? "")
    .split(",")
    .filter(Boolean);
  const plain = keys.every((k) => ["type", "o", "device"].includes(k));
  const local = volume.driver === undefined || volume.driver === "local";
  if (
    local &&
    plain &&
    [undefined, "none", ""].includes(opts.type as string) &&
    o.some((x) => x === "bind" || x === "rbind") &&
    o.every((x) => BIND_OPTIONS.has(x)) &&
    typeof opts.device === "string"
  ) {
    checkHostPath(opts.device, [...at, "device"], ctx);
    return;
  }
  if (
    local &&
    plain &&
    opts.type === "tmpfs" &&
    opts.device === "tmpfs" &&
    o.every((x) => TMPFS_OPTION.test(x))
  )
    return;
  refuse(ctx, at, `volume \`driver_opts\` ${show(opts)}`, "allowVolumeDrivers");
}

const VOLUME_RULES: Record<string, KeyRule> = {
  labels: "safe",
  external: external("allowExternalVolumes", "a volume"),
  // A fixed name can be another stack's volume: Compose reuses it if it exists.
  name: external("allowExternalVolumes", "a volume"),
  driver: (value, at, ctx) => {
    if (value !== "local") refuse(ctx, at, `volume driver ${show(value)}`, "allowVolumeDrivers");
  },
  driver_opts: "safe", // checked with the driver by volumeDriverOpts
};

const IPAM_RULES: Record<string, KeyRule> = {
  config: "safe",
  driver: (value, at, ctx) => {
    if (value !== "default") refuse(ctx, at, `IPAM driver ${show(value)}`, "allowNetworkDrivers");
  },
  options: (value, at, ctx) => {
    if (isDict(value) && Object.keys(value).length > 0)
      refuse(ctx, at, "IPAM `options`", "allowNetworkDrivers");
  },
};

const NETWORK_RULES: Record<string, KeyRule> = {
  labels: "safe",
  internal: "safe",
  attachable: "safe",
  enable_ipv6: "safe",
  external: external("allowExternalNetworks", "a network"),
  name: external("allowExternalNetworks", "a network"),
  driver: (value, at, ctx) => {
    if (value !== "bridge") refuse(ctx, at, `network driver ${show(value)}`, "allowNetworkDrivers");
  },
  driver_opts: (value, at, ctx) => {
    // Bridge options can take over an existing bridge (com.docker.network.bridge.name: docker0).
    if (isDict(value) && Object.keys(value).length > 0)
      refuse(ctx, at, "network `driver_opts`", "allowNetworkDrivers");
  },
  ipam: (value, at, ctx) => checkKeys(value, at, IPAM_RULES, ctx),
};

const swarmOnly: KeyRule = (_v, at, ctx) =>
  invalid(ctx, at, "is a Swarm option; Compose on a single host does not use it");

const fileRules = (extra: Record<string, KeyRule>): Record<string, KeyRule> => ({
  name: "safe",
  labels: "safe",
  external: "safe", // a Swarm object; plain Compose refuses to start rather than reach anything
  file: (value, at, ctx) => checkHostPath(String(value), at, ctx, "file"),
  template_driver: swarmOnly,
  ...extra,
});
const SECRET_RULES = fileRules({ driver: swarmOnly, driver_opts: swarmOnly });
const CONFIG_RULES = fileRules({});

function definitions(
  rules: Record<string, KeyRule>,
  each?: (def: Record<string, unknown>, at: (string | number)[], ctx: PolicyContext) => void,
): KeyRule {
  return (value, at, ctx) => {
    if (!isDict(value)) return;
    for (const [name, def] of Object.entries(value)) {
      if (name.startsWith("x-")) continue;
      checkKeys(def, [...at, name], rules, ctx);
      if (each && isDict(def)) each(def, [...at, name], ctx);
    }
  };
}

const TOP_LEVEL_RULES: Record<string, KeyRule> = {
  version: "safe",
  // Reported by checkComposeStructure with a better message.
  name: "safe",
  include: "safe",
  services: (value, at, ctx) => {
    if (isDict(value))
      for (const [name, service] of Object.entries(value)) checkService(service, [...at, name], ctx);
  },
  volumes: definitions(VOLUME_RULES, (def, at, ctx) => volumeDriverOpts(def, [...at, "driver_opts"], ctx)),
  networks: definitions(NETWORK_RULES),
  secrets: definitions(SECRET_RULES),
  configs: definitions(CONFIG_RULES),
};

export interface ComposePolicyOptions {
  /** On the agent: the real path of a host path (symlinks resolved), checked as well. */
  realPath?: (path: string) => string | undefined;
  /** The project folder the document came with (compose-project.ts): relative paths resolve in it. */
  project?: ComposeProject;
}

/** Issues for every key of an (interpolated) Compose document that the host policy does not allow. */
export function checkComposePolicy(
  doc: unknown,
  policy: HostPolicy,
  options: ComposePolicyOptions = {},
): ComposeIssue[] {
  if (!isDict(doc)) return [];
  const services = new Set(isDict(doc.services) ? Object.keys(doc.services) : []);
  const ctx: PolicyContext = {
    policy,
    services,
    issues: [],
    realPath: options.realPath,
    project: options.project,
  };
  checkKeys(doc, [], TOP_LEVEL_RULES, ctx);
  return ctx.issues;
}
