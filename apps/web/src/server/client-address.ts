// Which address a request really comes from. The socket's peer, stamped on every request by
// stampRequests (request-stamps.ts; Next's route handlers do not expose the socket, and it fills
// X-Forwarded-For from the socket only when the client sent none, so that header alone could be
// forged). X-Forwarded-For is believed only hop by hop from the right, while the hop that
// delivered it is a proxy listed in CAPSTAN_TRUSTED_PROXIES.
import { BlockList, isIP } from "node:net";

/** `::ffff:10.0.0.1` (IPv4 on a dual-stack socket) is 10.0.0.1. */
function plain(address: string): string {
  const trimmed = address.trim();
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(trimmed) ? trimmed.slice(7) : trimmed;
}

/** Parses "10.0.0.1, 10.1.0.0/16, fd00::/8"; throws with the bad entry named. */
export function parseTrustedProxies(value: string): BlockList {
  const list = new BlockList();
  for (const raw of value.split(",")) {
    const entry = raw.trim();
    if (!entry) continue;
    const [address = "", bits, extra] = entry.split("/");
    const family = isIP(address);
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
    if (
      !family ||
      extra !== undefined ||
      !/^\d{1,3}$/.test(String(prefix)) ||
      prefix > (family === 6 ? 128 : 32)
    )
      throw new Error(`"${entry}" is not an IP address or CIDR range (like 10.0.0.1 or 10.0.0.0/8)`);
    list.addSubnet(address, prefix, family === 6 ? "ipv6" : "ipv4");
  }
  return list;
}

function trusts(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 6 ? "ipv6" : "ipv4");
}

/** The client: the peer, or with trusted proxies the rightmost X-Forwarded-For hop not trusted. */
export function resolveClientAddress(
  peer: string | null,
  forwardedFor: string | null,
  trusted: BlockList | null,
): string | null {
  if (!peer) return null;
  let address = plain(peer);
  if (!trusted || !trusts(trusted, address)) return address;
  const hops = (forwardedFor ?? "").split(",").map(plain).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    // Garbage from the far side of the proxies: the last hop we could vouch for is the answer.
    if (!isIP(hop)) return address;
    address = hop;
    if (!trusts(trusted, hop)) return hop;
  }
  return address;
}
