// The dashboard's "check DNS" hint: does a domain resolve (A/AAAA) to the host's public address?
// Asked from the control plane with a short timeout and cached a minute, so a page full of
// domains costs a few lookups, not one per render. When the host reports no public address (it
// sits behind NAT, or its agent predates the fact), the answer is "cannot tell", not a guess.
import { Resolver } from "node:dns/promises";

export type DnsState = "ok" | "mismatch" | "unresolved" | "unknown";

export interface DnsHint {
  state: DnsState;
  /** What the name resolved to (A and AAAA), sorted. */
  resolved: string[];
  detail: string;
}

const CACHE_MS = 60_000;
const CACHE_MAX = 2000;
const cache = new Map<string, { at: number; addresses: Promise<string[]> }>();

export interface DnsOptions {
  /** DNS servers ("ip:port") to ask instead of the system's (tests use Pebble's). */
  servers?: string[];
  timeoutMs?: number;
}

async function lookup(name: string, options: DnsOptions): Promise<string[]> {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 2000, tries: 1 });
  if (options.servers) resolver.setServers(options.servers);
  const [v4, v6] = await Promise.all([
    resolver.resolve4(name).catch(() => [] as string[]),
    resolver.resolve6(name).catch(() => [] as string[]),
  ]);
  return [...v4, ...v6].sort();
}

function cachedLookup(name: string, options: DnsOptions): Promise<string[]> {
  const key = `${options.servers?.join(",") ?? ""} ${name}`;
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.addresses;
  if (cache.size >= CACHE_MAX) cache.clear();
  const addresses = lookup(name, options);
  cache.set(key, { at: Date.now(), addresses });
  return addresses;
}

/** `publicAddresses` from the host's facts (comma-separated), keeping only well-formed IPs. */
export function hostAddresses(facts: unknown): string[] {
  const raw = (facts as Record<string, unknown> | null)?.publicAddresses;
  if (typeof raw !== "string") return [];
  return raw.split(",").filter((a) => /^[0-9a-f.:]{2,45}$/i.test(a));
}

export async function checkDns(
  name: string,
  hostAddressList: string[],
  options: DnsOptions = {},
): Promise<DnsHint> {
  const resolved = await cachedLookup(name, options);
  if (resolved.length === 0)
    return { state: "unresolved", resolved, detail: `${name} does not resolve (no A or AAAA record)` };
  if (hostAddressList.length === 0)
    return {
      state: "unknown",
      resolved,
      detail: `cannot tell: the host reports no public address (${name} resolves to ${resolved.join(", ")})`,
    };
  const hits = resolved.filter((a) => hostAddressList.includes(a));
  if (hits.length > 0)
    return { state: "ok", resolved, detail: `${name} resolves to the host (${hits.join(", ")})` };
  return {
    state: "mismatch",
    resolved,
    detail: `${name} resolves to ${resolved.join(", ")}, not to the host (${hostAddressList.join(", ")})`,
  };
}
