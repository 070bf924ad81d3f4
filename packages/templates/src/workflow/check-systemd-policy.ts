// Checks a systemd service against the host policy's `systemd` section: the user it runs as, the
// capabilities it holds, how far its hardening falls below the host's minimum profile, where it
// may write and which units it pulls in or orders itself against. Pure, so the control plane (at
// validation, once the target hosts are known) and the agent (before it writes a unit) run
// exactly the same rules. Every message names the service, the workflow key, the policy key and
// how to allow it.
import { effectiveHardening, HARDENING_PROFILES, type HardeningValues } from "../systemd/hardening";
import { nixUnitSpec } from "../systemd/render-nix-unit";
import type { HostPolicy } from "./host-policy";
import {
  isNixService,
  isSystemdService,
  NAME_PATTERN,
  type ServiceSpec,
  type SystemdSpec,
  serviceUnitName,
  type WorkflowSpec,
} from "./spec";
import { HARDENING_PROFILE_ORDER, isNeverAllowedUnit, type SystemdPolicy } from "./systemd-policy";
import type { IssuePath, WorkflowIssue } from "./workflow-issue";

export interface SystemdPolicyIssue {
  /** Inside the service, e.g. ["systemd", "hardening", "AmbientCapabilities"]. */
  path: IssuePath;
  /** The host-policy key that would allow it, e.g. "systemd.capabilities". */
  policyKey: string;
  message: string;
}

export interface CheckSystemdPolicyInput {
  workflow: string;
  service: string;
  spec: SystemdSpec;
  policy: SystemdPolicy;
  /**
   * The workflow's service names: their units are always allowed as dependencies. Without it
   * (the agent's runtime sees one service), any `capstan-<workflow>-<name>.service` counts: the
   * team's own Capstan units, which grant nothing the team could not deploy anyway.
   */
  siblings?: readonly string[];
}

type Rank = Record<string, number>;
/** How strong each graded directive's values are; a value must rank at least the profile's. */
const GRADED: Record<string, Rank> = {
  ProtectSystem: { false: 0, true: 1, full: 2, strict: 3 },
  ProtectHome: { false: 0, "read-only": 1, tmpfs: 2, true: 2 },
  ProtectProc: { false: 0, ptraceable: 1, invisible: 2, noaccess: 3 },
  ProcSubset: { false: 0, all: 0, pid: 1 },
  DevicePolicy: { false: 0, auto: 0, closed: 1, strict: 2 },
};
/** Checked by the capability rules instead. */
const CAPABILITY_DIRECTIVES = new Set(["CapabilityBoundingSet", "AmbientCapabilities"]);

const words = (value: string) => value.split(/\s+/).filter(Boolean);
const segments = (path: string) => path.split("/").filter((s) => s !== "" && s !== ".");

function under(path: string, prefix: string): boolean {
  const p = segments(prefix);
  const s = segments(path);
  return p.length <= s.length && p.every((part, i) => s[i] === part);
}

/** Whether `value` is at least as protective as the minimum profile's `required` value. */
function atLeast(directive: string, value: unknown, required: unknown): boolean {
  if (value === undefined || value === false) return required === false;
  const graded = GRADED[directive];
  if (graded) return (graded[String(value)] ?? 0) >= (graded[String(required)] ?? 0);
  if (directive === "UMask") {
    const need = Number.parseInt(String(required), 8);
    return (Number.parseInt(String(value), 8) & need) === need;
  }
  if (directive === "RestrictAddressFamilies") {
    const allowed = new Set(words(String(required)));
    const asked = String(value);
    return !asked.startsWith("~") && words(asked).every((family) => allowed.has(family));
  }
  return value === required;
}

export function checkSystemdPolicy(input: CheckSystemdPolicyInput): SystemdPolicyIssue[] {
  const { service, spec, policy } = input;
  const issues: SystemdPolicyIssue[] = [];
  const who = `service \`${service}\``;
  const refuse = (path: IssuePath, policyKey: string, message: string) =>
    issues.push({ path: ["systemd", ...path], policyKey, message: `${who}: ${message}` });

  if (!policy.users.includes(spec.user))
    refuse(
      ["user"],
      "systemd.users",
      spec.user === "dynamic"
        ? "DynamicUser is refused by the host policy (systemd.users does not list `dynamic`); add `dynamic` to systemd.users"
        : `user \`${spec.user}\` is refused by the host policy (systemd.users allows ${policy.users.map((u) => `\`${u}\``).join(", ") || "no user"}); use \`user: dynamic\`, or create \`${spec.user}\` as a dedicated service user (no login shell) and add it to systemd.users`,
    );

  const hardening = effectiveHardening(spec.hardening);
  const minimum = policy.minimumProfile;
  const minimumDirectives: HardeningValues = HARDENING_PROFILES[minimum];
  const belowMinimum =
    HARDENING_PROFILE_ORDER.indexOf(spec.hardening.profile) < HARDENING_PROFILE_ORDER.indexOf(minimum);
  if (belowMinimum)
    refuse(
      ["hardening", "profile"],
      "systemd.minimumProfile",
      `hardening profile \`${spec.hardening.profile}\` is weaker than the \`${minimum}\` this host requires (systemd.minimumProfile); use profile \`${minimum}\`, or lower systemd.minimumProfile in the host policy`,
    );
  else
    for (const [directive, required] of Object.entries(minimumDirectives)) {
      if (CAPABILITY_DIRECTIVES.has(directive)) continue;
      const value = hardening[directive as keyof typeof hardening];
      if (!atLeast(directive, value, required))
        refuse(
          ["hardening", directive],
          "systemd.minimumProfile",
          `hardening.${directive}=${JSON.stringify(value ?? false)} weakens the \`${minimum}\` profile this host requires (${directive}=${JSON.stringify(required)}, systemd.minimumProfile); remove the switch, or lower systemd.minimumProfile in the host policy`,
        );
    }

  const allowedCaps = new Set(policy.capabilities);
  const allowedText = policy.capabilities.join(" ") || "none";
  for (const directive of ["AmbientCapabilities", "CapabilityBoundingSet"] as const) {
    const value = hardening[directive];
    if (value === undefined || value === false) {
      // Without the directive the bounding set keeps every capability; only the strict profile
      // promises an empty one, and a host that requires it must not lose it.
      if (
        directive === "CapabilityBoundingSet" &&
        minimumDirectives[directive] !== undefined &&
        !belowMinimum
      )
        refuse(
          ["hardening", directive],
          "systemd.minimumProfile",
          `switching off CapabilityBoundingSet keeps every capability, which the \`${minimum}\` profile this host requires does not allow (systemd.minimumProfile); list the capabilities the service needs instead`,
        );
      continue;
    }
    const text = String(value);
    if (text.startsWith("~")) {
      refuse(
        ["hardening", directive],
        "systemd.capabilities",
        `${directive}=${text} grants every capability except the listed ones; name the capabilities the service needs (allowed by systemd.capabilities: ${allowedText})`,
      );
      continue;
    }
    const refused = words(text).filter((cap) => !allowedCaps.has(cap));
    if (refused.length > 0)
      refuse(
        ["hardening", directive],
        "systemd.capabilities",
        `${directive} names ${refused.join(" ")}, refused by the host policy (systemd.capabilities allows ${allowedText}); add ${refused.join(" ")} to systemd.capabilities to allow it`,
      );
  }

  const stateDirectory = spec.hardening.StateDirectory;
  // With DynamicUser= systemd keeps the data in /var/lib/private/<name>, where realpath leads.
  const own =
    typeof stateDirectory === "string"
      ? [`/var/lib/${stateDirectory}`, `/var/lib/private/${stateDirectory}`]
      : [];
  (spec.hardening.ReadWritePaths ?? []).forEach((path, index) => {
    if (own.some((dir) => under(path, dir))) return;
    if (policy.readWritePaths.some((prefix) => under(path, prefix))) return;
    refuse(
      ["hardening", "ReadWritePaths", index],
      "systemd.readWritePaths",
      `ReadWritePaths \`${path}\` is outside the service's StateDirectory and refused by the host policy (systemd.readWritePaths allows ${policy.readWritePaths.join(" ") || "no other path"}); use StateDirectory, or add a prefix of it to systemd.readWritePaths`,
    );
  });

  const ownUnits = new Set((input.siblings ?? []).map((s) => serviceUnitName(input.workflow, s)));
  const prefix = `capstan-${input.workflow}-`;
  const isOwnUnit = (unit: string) =>
    input.siblings
      ? ownUnits.has(unit)
      : unit.startsWith(prefix) &&
        unit.endsWith(".service") &&
        NAME_PATTERN.test(unit.slice(prefix.length, -8));
  const allowedUnits = new Set(policy.units);
  for (const key of ["requires", "wants", "after", "before"] as const) {
    const units = (spec as Partial<Record<typeof key, unknown>>)[key];
    if (!Array.isArray(units)) continue;
    units.forEach((unit: unknown, index) => {
      const name = String(unit);
      if (isNeverAllowedUnit(name))
        refuse(
          [key, index],
          "systemd.units",
          `${key} \`${name}\` can reboot, halt or suspend the host or open a root shell and is never allowed, whatever systemd.units lists; remove it`,
        );
      else if (!allowedUnits.has(name) && !isOwnUnit(name))
        refuse(
          [key, index],
          "systemd.units",
          `${key} \`${name}\` is refused by the host policy (systemd.units allows ${policy.units.join(" ") || "no unit"}); add \`${name}\` to systemd.units to allow it`,
        );
    });
  }
  return issues;
}

/**
 * One systemd or nix service against a host's policy; paths start at the service. A nix service
 * becomes a unit too (the same rules apply to it), and its build needs allowNixBuilds.
 */
export function checkServiceUnitPolicy(input: {
  workflow: string;
  service: string;
  spec: ServiceSpec;
  policy: HostPolicy;
  siblings?: readonly string[];
}): WorkflowIssue[] {
  const { workflow, service, spec, policy, siblings } = input;
  const issues: WorkflowIssue[] = [];
  let unit: SystemdSpec;
  if (isSystemdService(spec)) unit = spec.systemd;
  else if (isNixService(spec)) {
    if (!policy.allowNixBuilds)
      issues.push({
        path: ["nix"],
        message: `service \`${service}\`: nix builds run the flake's builders on the host, refused by the host policy (allowNixBuilds); turn allowNixBuilds on for hosts whose Nix you trust`,
      });
    unit = nixUnitSpec(spec, "/nix/store").systemd;
  } else return issues;
  const found = checkSystemdPolicy({ workflow, service, spec: unit, policy: policy.systemd, siblings });
  const kind = isNixService(spec) ? "nix" : "systemd";
  issues.push(...found.map((i) => ({ path: [kind, ...i.path.slice(1)], message: i.message })));
  return issues;
}

/** Every systemd and nix service of a workflow against one target host's policy (control plane). */
export function checkWorkflowSystemdPolicy(spec: WorkflowSpec, policy: HostPolicy): WorkflowIssue[] {
  const siblings = Object.keys(spec.services);
  return Object.entries(spec.services).flatMap(([service, serviceSpec]) =>
    checkServiceUnitPolicy({ workflow: spec.name, service, spec: serviceSpec, policy, siblings }).map(
      (i) => ({
        ...i,
        path: ["services", service, ...i.path],
      }),
    ),
  );
}

/** A user account as `getent passwd` and `id -G` report it. */
export interface ServiceAccount {
  name: string;
  uid: number;
  gid: number;
  shell: string;
  /** Groups besides the primary one. */
  supplementaryGroups: readonly string[];
}

/** Shells that refuse an interactive login. An allowlist: any other shell is a login account. */
const NO_LOGIN_SHELLS = new Set(["/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false"]);
/**
 * Distributions allocate uids below 100 statically to accounts shared by base packages (daemon,
 * bin, sys, mail, www-data, ...): they own system files, so they are never "dedicated".
 */
const FIRST_DYNAMIC_SYSTEM_UID = 100;
const NOBODY_UID = 65534;

/**
 * Whether a named user is a dedicated service account, checked on the host: not root (uid or
 * primary group 0), not a shared static system account, no login shell (a person's account, whose
 * home, keys and mail a service must not reach), and in no group besides its own (membership in
 * docker, sudo, adm, disk, shadow, ... reaches root or secrets). uid >= 1000 is not taken as
 * "safe" or "unsafe": people get such uids, and so do service users made without --system.
 */
export function checkServiceAccount(name: string, account: ServiceAccount | undefined): string | undefined {
  const fix = `create a dedicated one: useradd --system --no-create-home --shell /usr/sbin/nologin ${name}`;
  if (!account) return `user \`${name}\` does not exist on this host; ${fix}`;
  if (account.uid === 0 || account.gid === 0)
    return `user \`${name}\` has uid or primary group 0 (root); ${fix.replace(name, `<another name>`)}`;
  if (account.uid < FIRST_DYNAMIC_SYSTEM_UID || account.uid === NOBODY_UID)
    return `user \`${name}\` (uid ${account.uid}) is a shared system account; ${fix.replace(name, `<another name>`)}`;
  if (!NO_LOGIN_SHELLS.has(account.shell))
    return `user \`${name}\` has the login shell ${account.shell}, so it is a login account; use a user whose shell is /usr/sbin/nologin, or ${fix.replace(name, "<another name>")}`;
  if (account.supplementaryGroups.length > 0)
    return `user \`${name}\` is also in the groups ${account.supplementaryGroups.join(", ")}, which a service must not inherit; remove it from them (gpasswd -d ${name} GROUP) or use a dedicated user`;
  return undefined;
}
