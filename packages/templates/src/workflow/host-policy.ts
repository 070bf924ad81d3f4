// What a host lets Compose stacks and systemd services do. Stored on Host.policy and, on the
// host itself, in /etc/capstan/policy.json (the agent applies the narrower of the two, see
// intersect-host-policies.ts); everything risky is off unless the host's admin turns it on.
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
  /** `pid: host` (and `ipc: host`, `userns_mode: host`). */
  allowHostNamespaces: z.boolean().default(false),
  /** Capabilities `cap_add` may name; `true` allows any. */
  allowCapabilities: z.union([z.boolean(), z.array(z.string().regex(/^(CAP_)?[A-Z_]+$/))]).default([]),
  /** Devices (`devices:`) passed into containers. */
  allowDevices: z.boolean().default(false),
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

/** Lenient reader for stored policies: unknown keys are ignored, bad ones fall back to safe. */
export function readHostPolicy(value: unknown): HostPolicy {
  const result = hostPolicySchema.loose().safeParse(value ?? {});
  return result.success ? result.data : DEFAULT_HOST_POLICY;
}
