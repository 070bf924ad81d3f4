// Capstan's checks on a Compose document beyond the Compose schema: what a host's policy allows
// (privileged containers, the Docker socket, host paths, host namespaces, capabilities, devices)
// and what cannot work on a host at all (files next to the workflow are not shipped to agents).
import type { HostPolicy } from "./host-policy";
import type { IssuePath } from "./workflow-issue";

export interface ComposeIssue {
  path: IssuePath;
  message: string;
}

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => v !== null && typeof v === "object" && !Array.isArray(v);

const DOCKER_SOCKETS = ["/var/run/docker.sock", "/run/docker.sock"];

/** Keys newer than the Compose schema we validate against, or that Capstan sets itself. */
export function checkComposeStructure(doc: unknown): ComposeIssue[] {
  if (!isDict(doc)) return [{ path: [], message: "a Compose document must be a mapping" }];
  const issues: ComposeIssue[] = [];
  if ("name" in doc)
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
        message: "extends from another file is not available on hosts; extend a service in this document",
      });
    if ("env_file" in service)
      issues.push({
        path: [...at, "env_file"],
        message:
          "env files next to the workflow are not shipped to hosts; use the service's `env` and `secrets`",
      });
  }
  return issues;
}

function normaliseCap(cap: string): string {
  const upper = cap.toUpperCase();
  return upper.startsWith("CAP_") ? upper : `CAP_${upper}`;
}

function underAllowedPath(path: string, allowed: string[]): boolean {
  const clean = path.replace(/\/+$/, "") || "/";
  return allowed.some((prefix) => {
    const p = prefix.replace(/\/+$/, "") || "/";
    return p === "/" || clean === p || clean.startsWith(`${p}/`);
  });
}

/** Issues for one host path used by a bind mount, secret or volume device. */
function checkHostPath(path: string, at: IssuePath, policy: HostPolicy): ComposeIssue | undefined {
  if (path.split("/").includes("..")) return { path: at, message: "host paths must not contain '..'" };
  if (DOCKER_SOCKETS.includes(path.replace(/\/+$/, ""))) {
    return policy.allowDockerSocket
      ? undefined
      : { path: at, message: "mounting the Docker socket is refused by the host policy (allowDockerSocket)" };
  }
  if (!path.startsWith("/")) {
    return {
      path: at,
      message: `relative host path \`${path}\` would point into the agent's release folder; use a named volume`,
    };
  }
  if (underAllowedPath(path, policy.allowHostPaths)) return undefined;
  return { path: at, message: `host path \`${path}\` is refused by the host policy (allowHostPaths)` };
}

function bindSource(volume: unknown): string | undefined {
  if (typeof volume === "string") {
    const source = volume.split(":")[0] ?? "";
    // A source without / . or ~ is a named volume.
    return /^[./~]/.test(source) || source.includes("/") ? source : undefined;
  }
  if (isDict(volume) && volume.type === "bind" && typeof volume.source === "string") return volume.source;
  return undefined;
}

export function checkComposePolicy(doc: unknown, policy: HostPolicy): ComposeIssue[] {
  if (!isDict(doc)) return [];
  const issues: ComposeIssue[] = [];
  const push = (issue: ComposeIssue | undefined) => issue && issues.push(issue);
  for (const [name, service] of Object.entries(isDict(doc.services) ? doc.services : {})) {
    if (!isDict(service)) continue;
    const at = (...rest: (string | number)[]) => ["services", name, ...rest];
    if (service.privileged === true && !policy.allowPrivileged)
      push({
        path: at("privileged"),
        message: "privileged containers are refused by the host policy (allowPrivileged)",
      });
    if (
      typeof service.network_mode === "string" &&
      service.network_mode === "host" &&
      !policy.allowHostNetwork
    )
      push({
        path: at("network_mode"),
        message: "`network_mode: host` is refused by the host policy (allowHostNetwork)",
      });
    for (const key of ["pid", "ipc", "userns_mode", "uts"]) {
      if (service[key] === "host" && !policy.allowHostNamespaces)
        push({
          path: at(key),
          message: `\`${key}: host\` is refused by the host policy (allowHostNamespaces)`,
        });
    }
    // Joining another container's namespaces reaches into stacks outside this project.
    for (const key of ["network_mode", "pid", "ipc"]) {
      const value = service[key];
      if (typeof value === "string" && value.startsWith("container:") && !policy.allowHostNamespaces)
        push({
          path: at(key),
          message: `\`${key}: ${value.slice(0, 80)}\` joins a container outside this stack and is refused by the host policy (allowHostNamespaces)`,
        });
    }
    if (Array.isArray(service.cap_add) && policy.allowCapabilities !== true) {
      const allowed = new Set((policy.allowCapabilities || []).map(normaliseCap));
      service.cap_add.forEach((cap, index) => {
        if (typeof cap !== "string" || !allowed.has(normaliseCap(cap)))
          push({
            path: at("cap_add", index),
            message: `capability \`${String(cap)}\` is refused by the host policy (allowCapabilities)`,
          });
      });
    }
    if (Array.isArray(service.devices) && service.devices.length > 0 && !policy.allowDevices)
      push({
        path: at("devices"),
        message: "passing host devices is refused by the host policy (allowDevices)",
      });
    if (Array.isArray(service.security_opt) && !policy.allowPrivileged) {
      service.security_opt.forEach((opt, index) => {
        if (typeof opt === "string" && /unconfined|label[:=]disable/.test(opt))
          push({
            path: at("security_opt", index),
            message: `\`${opt}\` disables confinement and is refused by the host policy (allowPrivileged)`,
          });
      });
    }
    if (Array.isArray(service.volumes)) {
      service.volumes.forEach((volume, index) => {
        const source = bindSource(volume);
        if (source !== undefined)
          push(checkHostPath(source.replace(/^~/, "/root"), at("volumes", index), policy));
      });
    }
  }
  for (const section of ["secrets", "configs"]) {
    const entries = doc[section];
    if (!isDict(entries)) continue;
    for (const [name, entry] of Object.entries(entries)) {
      if (isDict(entry) && typeof entry.file === "string")
        push(checkHostPath(entry.file, [section, name, "file"], policy));
    }
  }
  if (isDict(doc.volumes)) {
    for (const [name, volume] of Object.entries(doc.volumes)) {
      const opts = isDict(volume) && isDict(volume.driver_opts) ? volume.driver_opts : undefined;
      if (opts && typeof opts.device === "string" && /\bbind\b/.test(String(opts.o ?? "")))
        push(checkHostPath(opts.device, ["volumes", name, "driver_opts", "device"], policy));
    }
  }
  return issues;
}
