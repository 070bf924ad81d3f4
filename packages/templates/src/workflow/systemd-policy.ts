// The host policy's `systemd` section: what a Capstan systemd service may run as, which
// capabilities it may hold, how far its hardening may be weakened, where it may write and which
// units it may pull in or order itself against. Every default is the safe value; the checker is
// check-systemd-policy.ts.
import { z } from "zod";
import { UNIT_NAME_PATTERN, USER_NAME_PATTERN } from "./spec";

/** Weakest first; a service's profile must rank at least the policy's `minimumProfile`. */
export const HARDENING_PROFILE_ORDER = ["none", "baseline", "strict"] as const;
export type HardeningProfile = (typeof HARDENING_PROFILE_ORDER)[number];

/**
 * Units no Capstan service may require, want or order itself against, whatever a policy lists:
 * pulling one in reboots, halts or suspends the host, or opens a root shell on a console.
 * The allowlist (`units`) is the boundary; this is the belt over it for an admin's typo.
 */
const NEVER_UNITS = [
  /^(rescue|emergency|reboot|poweroff|halt|kexec|shutdown|ctrl-alt-del|exit|final|soft-reboot|sleep|suspend|hibernate|hybrid-sleep|suspend-then-hibernate|factory-reset|umount|system-update|system-update-pre|initrd[a-z-]*)\.target$/,
  /^(debug-shell|rescue|emergency|systemd-(reboot|poweroff|halt|kexec|soft-reboot|exit|suspend|hibernate|hybrid-sleep|suspend-then-hibernate|factory-reset)|[a-z-]*getty@?[A-Za-z0-9:_.-]*)\.service$/,
];

export function isNeverAllowedUnit(unit: string): boolean {
  return NEVER_UNITS.some((pattern) => pattern.test(unit));
}

/**
 * Ordering points that only say "after the network / the clock / name lookups are up", and
 * Docker, which Capstan's Compose services need anyway (a systemd service beside a Compose stack
 * orders itself after it). None of them grants the service anything.
 */
export const DEFAULT_SYSTEMD_UNITS = [
  "docker.service",
  "network.target",
  "network-online.target",
  "nss-lookup.target",
  "time-sync.target",
  "remote-fs.target",
];

const capability = z
  .string()
  .transform((c) => (c.toUpperCase().startsWith("CAP_") ? c.toUpperCase() : `CAP_${c.toUpperCase()}`))
  .pipe(z.string().regex(/^CAP_[A-Z_]{2,40}$/, "must be a capability name like CAP_NET_BIND_SERVICE"));

const pathPrefix = z
  .string()
  .max(1024)
  .refine((p) => p.startsWith("/"), "must be an absolute path")
  .refine((p) => !p.split("/").includes(".."), "must not contain '..'")
  .refine((p) => /^[A-Za-z0-9._/@+-]+$/.test(p), "may contain only letters, digits and . _ / @ + -");

export const systemdPolicySchema = z.strictObject({
  /**
   * `dynamic` (DynamicUser=, a fresh unprivileged uid per start) and dedicated service users the
   * admin created for this purpose. The agent also checks on the host that a named user is not
   * root, a shared system account or a login account (check-systemd-policy.ts).
   */
  users: z
    .array(
      z
        .string()
        .refine((u) => u === "dynamic" || USER_NAME_PATTERN.test(u), 'must be "dynamic" or a user name')
        .refine(
          (u) => u !== "root" && u !== "nobody",
          "root and nobody are never allowed: create a dedicated service user",
        ),
    )
    .max(64)
    .default(["dynamic"]),
  /** Capabilities AmbientCapabilities= and CapabilityBoundingSet= may name; [] allows none. */
  capabilities: z.array(capability).max(64).default([]),
  /** The weakest hardening profile a service may use, and the directives it may not switch off. */
  minimumProfile: z.enum(HARDENING_PROFILE_ORDER).default("strict"),
  /** Absolute prefixes ReadWritePaths= may name besides the service's own StateDirectory. */
  readWritePaths: z.array(pathPrefix).max(64).default([]),
  /** Units `requires`, `wants`, `after` (and `before`) may name, besides this workflow's own. */
  units: z
    .array(
      z
        .string()
        .regex(UNIT_NAME_PATTERN, "must be a unit name like postgresql.service")
        .refine(
          (u) => !isNeverAllowedUnit(u),
          "this unit reboots, halts or suspends the host or opens a root shell, and is never allowed",
        ),
    )
    .max(128)
    .default(DEFAULT_SYSTEMD_UNITS),
});
export type SystemdPolicy = z.output<typeof systemdPolicySchema>;
