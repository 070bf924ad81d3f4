// What a host lets Compose stacks, systemd and nix services do. Stored on Host.policy and, on the
// host itself, in /etc/capstan/policy.json (the agent applies the narrower of the two, see
// intersect-host-policies.ts); everything risky is off unless the host's admin turns it on. Each
// Compose key names what check-compose-policy.ts refuses without it.
import { z } from "zod";
import { systemdPolicySchema } from "./systemd-policy";

export const hostPolicySchema = z.strictObject({
  allowPrivileged: z.boolean().default(false),
  /** Mounting /var/run/docker.sock (root on the host in practice). */
  allowDockerSocket: z.boolean().default(false),
  /** Host paths (absolute prefixes) that bind mounts may use; [] refuses all host-path binds. */
  allowHostPaths: z.array(z.string().startsWith("/")).default([]),
  /** `network_mode: host`. */
  allowHostNetwork: z.boolean().default(false),
  /** `pid`/`ipc`/`uts`/`userns_mode: host`, and joining namespaces of containers outside the stack. */
  allowHostNamespaces: z.boolean().default(false),
  /** Capabilities `cap_add` may name; `true` allows any. */
  allowCapabilities: z.union([z.boolean(), z.array(z.string().regex(/^(CAP_)?[A-Z_]+$/))]).default([]),
  /** Devices (`devices:`, `device_cgroup_rules:`) passed into containers. */
  allowDevices: z.boolean().default(false),
  /** `security_opt` (any value: seccomp, AppArmor, SELinux labels, no-new-privileges). */
  allowSecurityOpt: z.boolean().default(false),
  /** Kernel parameters `sysctls` may set; `true` allows any. */
  allowSysctls: z.union([z.boolean(), z.array(z.string().regex(/^[a-z0-9_.]+$/))]).default([]),
  /** Volumes made outside the stack: `external`, a fixed `name`, `volumes_from` another container. */
  allowExternalVolumes: z.boolean().default(false),
  /** Networks made outside the stack: `external`, a fixed `name`, `external_links`. */
  allowExternalNetworks: z.boolean().default(false),
  /** Volume drivers other than `local`, and `driver_opts` other than a bind of an allowed host path. */
  allowVolumeDrivers: z.boolean().default(false),
  /** Network drivers other than `bridge` (macvlan, ipvlan, host...) and network `driver_opts`. */
  allowNetworkDrivers: z.boolean().default(false),
  /** `runtime:` (another OCI runtime than the daemon's default). */
  allowRuntime: z.boolean().default(false),
  /** GPUs (`gpus:`, `deploy.resources.reservations.devices`). */
  allowGpus: z.boolean().default(false),
  /** `cgroup_parent:` (placing containers in another cgroup). */
  allowCgroupParent: z.boolean().default(false),
  /** What systemd services may run as, hold, write and pull in (systemd-policy.ts). */
  systemd: systemdPolicySchema.default(systemdPolicySchema.parse({})),
  /**
   * `nix` services: `nix build` runs a flake's builders with the host's Nix settings, which on a
   * single-user install without a sandbox means as root. Off unless the host's admin trusts it.
   */
  allowNixBuilds: z.boolean().default(false),
});
export type HostPolicy = z.output<typeof hostPolicySchema>;
export type HostPolicyInput = z.input<typeof hostPolicySchema>;

export const DEFAULT_HOST_POLICY: HostPolicy = hostPolicySchema.parse({});

// Built once: zod compiles a schema on its first parse, and a claim reads the policy twice.
const storedHostPolicySchema = hostPolicySchema.loose();

/** Lenient reader for stored policies: unknown keys are ignored, bad ones fall back to safe. */
export function readHostPolicy(value: unknown): HostPolicy {
  const result = storedHostPolicySchema.safeParse(value ?? {});
  return result.success ? result.data : DEFAULT_HOST_POLICY;
}
