// The host's own say in what runs on it. /etc/capstan/policy.json (root-owned, written by the
// install script) is intersected with the policy the control plane sends with each job, so a
// compromised control plane cannot widen it; a file anyone but root could have written is not
// trusted (deny-all instead, with a log line). systemd services are checked here again, with what
// only the host knows: its user accounts, /var/lib and where paths really lead.
import { lstatSync, readFileSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { DEFAULT_HOST_POLICY, type HostPolicy, hostPolicySchema, type SystemdSpec } from "@capstan/templates";
import {
  checkServiceAccount,
  checkSystemdPolicy,
  type ServiceAccount,
} from "@capstan/templates/workflow/check-systemd-policy";
import { intersectHostPolicies } from "@capstan/templates/workflow/intersect-host-policies";
import type { Logger } from "./log";
import { writeFileAtomic } from "./state";

export interface LocalPolicy {
  policy: HostPolicy;
  /** `file`: read and trusted; `missing`/`refused`: deny-all is used instead. */
  source: "file" | "missing" | "refused";
  detail: string;
}

const DENY_ALL = "the safe defaults (deny-all) apply";

/** A path only root can change: it and every folder above it owned by root and not writable by others. */
function untrustedBy(path: string): string | undefined {
  let current = path;
  for (;;) {
    const st = statSync(current);
    const isFile = current === path;
    // A sticky folder (/tmp) lets nobody else rename or replace root's entries in it.
    const othersCanWrite = (st.mode & 0o022) !== 0 && (isFile || (st.mode & 0o1000) === 0);
    if (st.uid !== 0 || othersCanWrite)
      return `${current} is ${st.uid !== 0 ? `owned by uid ${st.uid}` : `writable by group or others (mode ${(st.mode & 0o7777).toString(8)})`}`;
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/** Reads the host-local policy; never throws: anything wrong means deny-all and says why. */
export function readLocalPolicy(path: string): LocalPolicy {
  const fallback = (source: LocalPolicy["source"], why: string): LocalPolicy => ({
    policy: DEFAULT_HOST_POLICY,
    source,
    detail: `${why}: ${DENY_ALL}`,
  });
  let real: string;
  try {
    real = realpathSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return fallback("missing", `no host-local policy at ${path} (the install script writes one)`);
    return fallback("refused", `cannot read the host-local policy ${path}: ${(error as Error).message}`);
  }
  try {
    // Both chains: the file's own folders, and those of a symlink leading to it.
    const problem = untrustedBy(real) ?? (real === path ? undefined : untrustedBy(dirname(path)));
    if (problem)
      return fallback(
        "refused",
        `the host-local policy ${path} is not trusted because ${problem}; make it root-owned and mode 0644 (chown root:root, chmod 0644)`,
      );
    const parsed = hostPolicySchema.safeParse(JSON.parse(readFileSync(real, "utf8")));
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`);
      return fallback("refused", `the host-local policy ${path} is invalid (${problems.join("; ")})`);
    }
    return { policy: parsed.data, source: "file", detail: `host-local policy ${path}` };
  } catch (error) {
    return fallback("refused", `cannot read the host-local policy ${path}: ${(error as Error).message}`);
  }
}

const SENT_POLICY_FILE = "control-plane-policy.json";

/**
 * The policy a job runs under: the control plane's, narrowed by the host's. Also remembers the
 * control plane's policy so `capstan-agent status` can show the effective one.
 */
export function resolveHostPolicy(
  config: { policyFile: string; stateDir: string },
  sent: HostPolicy,
  log: Logger,
): HostPolicy {
  const local = readLocalPolicy(config.policyFile);
  if (local.source !== "file") log.warn({ policyFile: config.policyFile }, local.detail);
  try {
    writeFileAtomic(join(config.stateDir, SENT_POLICY_FILE), `${JSON.stringify(sent, null, 2)}\n`, 0o600);
  } catch (error) {
    log.warn({ err: (error as Error).message }, "could not record the control plane's policy for status");
  }
  return intersectHostPolicies(sent, local.policy);
}

/** What `capstan-agent status` shows: the effective policy, and where each part came from. */
export function describeHostPolicy(config: { policyFile: string; stateDir: string }): {
  local: LocalPolicy;
  controlPlane: HostPolicy | null;
  effective: HostPolicy;
} {
  const local = readLocalPolicy(config.policyFile);
  let controlPlane: HostPolicy | null = null;
  try {
    const text = readFileSync(join(config.stateDir, SENT_POLICY_FILE), "utf8");
    const parsed = hostPolicySchema.safeParse(JSON.parse(text));
    controlPlane = parsed.success ? parsed.data : null;
  } catch {
    // no job yet: the local policy is the ceiling
  }
  return {
    local,
    controlPlane,
    effective: controlPlane ? intersectHostPolicies(controlPlane, local.policy) : local.policy,
  };
}

/** A user as /etc/passwd and /etc/group describe it (the files systemd's User= resolves first). */
export function readServiceAccount(name: string, etcDir = "/etc"): ServiceAccount | undefined {
  const read = (file: string) => {
    try {
      return readFileSync(join(etcDir, file), "utf8").split("\n");
    } catch {
      return [];
    }
  };
  const entry = read("passwd")
    .map((line) => line.split(":"))
    .find((fields) => fields[0] === name && fields.length >= 7);
  if (!entry) return undefined;
  const gid = Number(entry[3]);
  const supplementaryGroups = read("group")
    .map((line) => line.split(":"))
    .filter((g) => g.length >= 4 && Number(g[2]) !== gid && (g[3] ?? "").split(",").includes(name))
    .map((g) => g[0]!);
  return { name, uid: Number(entry[2]), gid, shell: entry[6]!.trim(), supplementaryGroups };
}

/** StateDirectory= hands /var/lib/<name> to the service; only a folder that is already its own. */
function checkStateDirectory(spec: SystemdSpec, uid: number | undefined, varLib: string): string | undefined {
  const name = spec.hardening.StateDirectory;
  if (typeof name !== "string") return undefined;
  const dir = join(varLib, name);
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(dir);
  } catch {
    return undefined;
  }
  // DynamicUser= keeps the data in private/<name> behind this symlink, made by systemd itself.
  if (st.isSymbolicLink() && readlinkSync(dir) === `private/${name}` && spec.user === "dynamic")
    return undefined;
  if (st.isDirectory() && uid !== undefined && st.uid === uid) return undefined;
  return `StateDirectory \`${name}\` would hand the existing ${dir} (owned by uid ${st.uid}) to this service; choose a StateDirectory name nothing else on this host uses`;
}

export interface EnforceSystemdPolicyInput {
  workflow: string;
  service: string;
  spec: SystemdSpec;
  /** The effective policy (resolveHostPolicy). */
  policy: HostPolicy;
  /** The job's other service names on this host. */
  siblings?: readonly string[];
  /** For tests; the real host's files otherwise. */
  etcDir?: string;
  varLib?: string;
}

/**
 * Throws, before anything is written, when the service breaks the effective policy: the same
 * rules as the control plane, plus the named user's account, ReadWritePaths with symlinks
 * resolved, and StateDirectory against what /var/lib already holds.
 */
export function enforceSystemdPolicy(input: EnforceSystemdPolicyInput): void {
  const { spec, service } = input;
  const varLib = input.varLib ?? "/var/lib";
  const resolved = (spec.hardening.ReadWritePaths ?? []).map((path) => {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  });
  // The same rules again with the paths as they really lead (a symlink in the state folder).
  const messages = [spec, { ...spec, hardening: { ...spec.hardening, ReadWritePaths: resolved } }]
    .flatMap((s) =>
      checkSystemdPolicy({
        workflow: input.workflow,
        service,
        spec: s,
        policy: input.policy.systemd,
        siblings: input.siblings,
      }),
    )
    .map((issue) => issue.message);
  let uid: number | undefined;
  if (spec.user !== "dynamic" && input.policy.systemd.users.includes(spec.user)) {
    const account = readServiceAccount(spec.user, input.etcDir);
    const problem = checkServiceAccount(spec.user, account);
    if (problem) messages.push(`service \`${service}\`: ${problem} (host policy systemd.users)`);
    else uid = account?.uid;
  }
  const stateProblem = checkStateDirectory(spec, uid, varLib);
  if (stateProblem) messages.push(`service \`${service}\`: ${stateProblem}`);
  const unique = [...new Set(messages)];
  if (unique.length > 0) throw new Error(`refused by this host's policy: ${unique.join("; ")}`);
}

/** Lines for `capstan-agent status`: the effective policy, key by key, and its sources. */
export function formatHostPolicy(described: ReturnType<typeof describeHostPolicy>): string[] {
  const { local, controlPlane, effective } = described;
  const show = (value: unknown) =>
    Array.isArray(value) ? (value.length ? value.join(" ") : "none") : String(value);
  const lines = [
    `policy:        ${local.source === "file" ? local.detail : `DENY-ALL: ${local.detail}`}`,
    `               ${controlPlane ? "narrowed with the control plane's (from the last job)" : "no job yet: the control plane's policy can only narrow this"}`,
  ];
  for (const [key, value] of Object.entries(effective)) {
    if (value !== null && typeof value === "object" && !Array.isArray(value))
      for (const [inner, v] of Object.entries(value)) lines.push(`  ${key}.${inner}: ${show(v)}`);
    else lines.push(`  ${key}: ${show(value)}`);
  }
  return lines;
}
