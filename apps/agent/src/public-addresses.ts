// The host's public addresses (fact `publicAddresses`, comma-separated): what the dashboard's
// "check DNS" hint compares each domain's A/AAAA records with. Only addresses on the host's own
// interfaces that are not private, loopback, link-local or CGNAT: a host behind NAT reports none,
// and the dashboard says it cannot tell rather than guess.
import { BlockList } from "node:net";
import { type NetworkInterfaceInfo, networkInterfaces } from "node:os";

// No ::ffff:0:0/96 entry: BlockList would match every IPv4 address against it.
const notPublic = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["192.0.2.0", 24],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 3],
] as const)
  notPublic.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 127],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["2001:db8::", 32],
] as const)
  notPublic.addSubnet(net, prefix, "ipv6");

export function publicAddresses(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string {
  const out = new Set<string>();
  for (const list of Object.values(interfaces))
    for (const i of list ?? []) {
      const family = i.family === "IPv4" ? "ipv4" : "ipv6";
      if (!i.internal && !notPublic.check(i.address, family)) out.add(i.address);
    }
  return [...out].sort().slice(0, 8).join(",").slice(0, 512);
}
