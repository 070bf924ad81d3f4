// Hardening profiles for Capstan's systemd units. `strict` is the default (see DESIGN.md); each
// directive can be switched in the workflow's `hardening` block, and the agent can omit the ones
// its host cannot apply (SystemCallFilter= without seccomp, for example).
import type { Hardening, HardeningDirective } from "../workflow/spec";
import { escapePath } from "./escape";

type Value = boolean | string | string[];
export type HardeningValues = Partial<Record<HardeningDirective, Value>>;

const STRICT: HardeningValues = {
  NoNewPrivileges: true,
  ProtectSystem: "strict",
  ProtectHome: true,
  PrivateTmp: true,
  PrivateDevices: true,
  // Not PrivateUsers=: together with DynamicUser= and ProtectProc=invisible it fails at start
  // ("Failed to set up user namespacing") on Debian 12's systemd 252. It stays switchable.
  ProtectKernelTunables: true,
  ProtectKernelModules: true,
  ProtectKernelLogs: true,
  ProtectControlGroups: true,
  ProtectClock: true,
  ProtectHostname: true,
  ProtectProc: "invisible",
  ProcSubset: "pid",
  RestrictNamespaces: true,
  RestrictSUIDSGID: true,
  RestrictRealtime: true,
  LockPersonality: true,
  RemoveIPC: true,
  DevicePolicy: "closed",
  RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX",
  CapabilityBoundingSet: "",
  AmbientCapabilities: "",
  SystemCallArchitectures: "native",
  SystemCallFilter: "@system-service",
  UMask: "0077",
};

/** For software that breaks under `strict`: the cheap, rarely harmful protections only. */
const BASELINE: HardeningValues = {
  NoNewPrivileges: true,
  ProtectSystem: "full",
  ProtectHome: "read-only",
  PrivateTmp: true,
  ProtectKernelTunables: true,
  ProtectKernelModules: true,
  ProtectControlGroups: true,
  RestrictSUIDSGID: true,
  RestrictRealtime: true,
  LockPersonality: true,
};

export const HARDENING_PROFILES = { strict: STRICT, baseline: BASELINE, none: {} } as const;

/** The profile's directives with the workflow's switches applied; `false` means "not written". */
export function effectiveHardening(hardening: Hardening): HardeningValues {
  const merged: HardeningValues = { ...HARDENING_PROFILES[hardening.profile] };
  for (const [key, value] of Object.entries(hardening)) {
    if (key === "profile" || value === undefined) continue;
    merged[key as HardeningDirective] = value as Value;
  }
  return merged;
}

/** Directive lines for a hardening block, in a stable order. */
export function hardeningDirectives(
  hardening: Hardening,
  omit: readonly string[] = [],
): { name: HardeningDirective; value: string }[] {
  const merged = effectiveHardening(hardening);
  const out: { name: HardeningDirective; value: string }[] = [];
  for (const [name, value] of Object.entries(merged) as [HardeningDirective, Value][]) {
    if (value === false || omit.includes(name)) continue;
    if (Array.isArray(value)) {
      if (value.length > 0) out.push({ name, value: value.map((p) => escapePath(p, name)).join(" ") });
    } else out.push({ name, value: value === true ? "yes" : value });
  }
  return out;
}
