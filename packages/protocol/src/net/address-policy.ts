// Which network addresses Capstan's own outbound requests (webhooks, artifact downloads, HTTP
// health checks) may reach. Link-local addresses (cloud metadata services live there: AWS, GCP and
// Azure answer on 169.254.169.254 with instance credentials) are always refused; private and
// loopback ranges only where the caller allows them. The check runs on the address actually
// connected to (after DNS, and on every redirect hop), so a name that resolves to a forbidden
// address, or a redirect to one, is refused the same way as a literal.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";

export type AddressKind = "link-local" | "unspecified" | "multicast" | "loopback" | "private" | "public";

export interface AddressPolicy {
  /** Loopback and private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7). */
  allowPrivate: boolean;
}

const ranges: [AddressKind, string, number, "ipv4" | "ipv6"][] = [
  ["link-local", "169.254.0.0", 16, "ipv4"],
  ["link-local", "fe80::", 10, "ipv6"],
  // AWS's IPv6 metadata endpoint (fd00:ec2::254) sits in the unique-local range; refuse it by name.
  ["link-local", "fd00:ec2::", 32, "ipv6"],
  ["unspecified", "0.0.0.0", 8, "ipv4"],
  ["unspecified", "::", 128, "ipv6"],
  ["multicast", "224.0.0.0", 4, "ipv4"],
  ["multicast", "ff00::", 8, "ipv6"],
  ["loopback", "127.0.0.0", 8, "ipv4"],
  ["loopback", "::1", 128, "ipv6"],
  ["private", "10.0.0.0", 8, "ipv4"],
  ["private", "172.16.0.0", 12, "ipv4"],
  ["private", "192.168.0.0", 16, "ipv4"],
  ["private", "100.64.0.0", 10, "ipv4"],
  ["private", "fc00::", 7, "ipv6"],
];
const lists = new Map<AddressKind, BlockList>();
for (const [kind, net, prefix, family] of ranges) {
  const list = lists.get(kind) ?? new BlockList();
  lists.set(kind, list);
  list.addSubnet(net, prefix, family);
}

/** The kind of an IP address; IPv4-mapped IPv6 (::ffff:169.254.1.1) counts as its IPv4 address. */
export function classifyAddress(ip: string): AddressKind {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const address = mapped ?? ip;
  const family = isIP(address) === 6 ? "ipv6" : "ipv4";
  for (const [kind, list] of lists) if (list.check(address, family)) return kind;
  return "public";
}

/** Why `ip` may not be reached under `policy`, or null when it may. */
export function refusedAddress(ip: string, policy: AddressPolicy): string | null {
  const kind = classifyAddress(ip);
  if (kind === "public" || ((kind === "loopback" || kind === "private") && policy.allowPrivate)) return null;
  if (kind === "link-local")
    return `${ip} is a link-local address (where cloud metadata services answer); Capstan never connects there`;
  if (kind === "unspecified" || kind === "multicast") return `${ip} is not a host address`;
  return `${ip} is a ${kind} address, which this control plane does not reach (CAPSTAN_OUTBOUND_ALLOW_PRIVATE=true allows private and loopback receivers)`;
}

export class AddressRefusedError extends Error {
  override name = "AddressRefusedError";
}

/** Throws AddressRefusedError when the URL's host is an IP literal the policy refuses. */
export function assertUrlAddress(url: URL, policy: AddressPolicy): void {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (isIP(host)) {
    const why = refusedAddress(host, policy);
    if (why) throw new AddressRefusedError(why);
  }
}

/**
 * A `lookup` for node:http(s) and net.connect that refuses names resolving to a refused address.
 * Literal IPs skip lookup in Node, so callers also run `assertUrlAddress` on every URL they open.
 */
export function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...(options as object), all: true } as LookupAllOptions, (error, addresses) => {
      if (error) return callback(error, "", 0);
      const list = addresses as LookupAddress[];
      for (const { address } of list) {
        const why = refusedAddress(address, policy);
        if (why) return callback(new AddressRefusedError(`${hostname} resolves to ${why}`), "", 0);
      }
      const wantsAll = (options as { all?: boolean }).all;
      if (wantsAll) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0];
      if (!first)
        return callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), "", 0);
      callback(null, first.address, first.family);
    });
  };
}
