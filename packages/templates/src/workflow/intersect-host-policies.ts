// The agent applies the narrower of two policies: the one the control plane sends with a job and
// the host's own /etc/capstan/policy.json. Key by key: booleans AND, lists intersect (path
// prefixes keep the deeper of two nested prefixes), profiles take the stricter, `true` ("any")
// yields to a list. Keys are handled by the shape of their values, so a key added to the schema
// later is narrowed too; a key whose two values do not match in shape falls back to its safe
// default. A compromised control plane therefore cannot widen what the host's admin allowed.
import { DEFAULT_HOST_POLICY, type HostPolicy, hostPolicySchema } from "./host-policy";
import { HARDENING_PROFILE_ORDER } from "./systemd-policy";

/** Lists of absolute path prefixes: "/srv" and "/srv/data" intersect to "/srv/data". */
const PREFIX_LISTS = new Set(["allowHostPaths", "readWritePaths"]);
/** Ordered enums, weakest first; the intersection takes the stronger. */
const RANKED: Record<string, readonly string[]> = { minimumProfile: HARDENING_PROFILE_ORDER };

const isDict = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

function underPrefix(path: string, prefix: string): boolean {
  const p = prefix.replace(/\/+$/, "");
  return p === "" || path === p || path.startsWith(`${p}/`);
}

function intersectPrefixes(a: readonly string[], b: readonly string[]): string[] {
  const out = new Set<string>();
  for (const x of a)
    for (const y of b) {
      if (underPrefix(y, x)) out.add(y);
      else if (underPrefix(x, y)) out.add(x);
    }
  return [...out];
}

function intersectValue(key: string, a: unknown, b: unknown, fallback: unknown): unknown {
  // `true` on a list key means "any" (allowCapabilities); it yields to the other side.
  if (a === true && Array.isArray(b)) return b;
  if (b === true && Array.isArray(a)) return a;
  if (typeof a === "boolean" && typeof b === "boolean") return a && b;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (PREFIX_LISTS.has(key)) return intersectPrefixes(a as string[], b as string[]);
    return a.filter((item) => b.includes(item));
  }
  const order = RANKED[key];
  if (order && typeof a === "string" && typeof b === "string")
    return order[Math.max(order.indexOf(a), order.indexOf(b))] ?? fallback;
  if (typeof a === "number" && typeof b === "number") return Math.min(a, b);
  if (isDict(a) && isDict(b) && isDict(fallback)) return intersectObject(a, b, fallback);
  if (a === b) return a;
  // A list against false ("none") and anything mismatched: the safe default.
  return Array.isArray(a) || Array.isArray(b) ? [] : fallback;
}

function intersectObject(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
  defaults: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(defaults)) out[key] = intersectValue(key, a[key], b[key], defaults[key]);
  return out;
}

/** The narrower of two host policies, key by key. */
export function intersectHostPolicies(a: HostPolicy, b: HostPolicy): HostPolicy {
  const merged = intersectObject(a, b, DEFAULT_HOST_POLICY as unknown as Record<string, unknown>);
  // Parsed again so the result is exactly a policy; a value that no longer fits is a bug: fail safe.
  const parsed = hostPolicySchema.safeParse(merged);
  return parsed.success ? parsed.data : DEFAULT_HOST_POLICY;
}
