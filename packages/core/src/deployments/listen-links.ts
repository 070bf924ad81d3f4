// Links to where a deployment's services listen, for its page: each port a Compose document
// publishes on a fixed host port, at the address it is bound to (a loopback or given IP) or,
// bound to every interface, at the host's address (its public address, else its hostname, as
// the agent reports them); the host ports the agent reports a Compose service published that the
// spec does not fix (random ports, a Compose file from the project's files), at the host's
// address; and each domain over HTTPS. Pure: the spec, the hosts' facts and reports.
// Every address is checked against a strict pattern before it becomes a URL, so a hostile
// agent's facts or a crafted spec cannot turn a link into anything but http(s)://host:port/.
import type { WorkflowSpec } from "@capstan/templates";
import { hostAddresses } from "../hosts/check-dns";

export interface ListenLink {
  service: string;
  /** The host the address belongs to; null for a domain or an address every host shares. */
  host: string | null;
  url: string;
  /** Only reachable from that host itself (loopback): the link works when the browser runs there. */
  loopback: boolean;
}

interface PublishedPort {
  ip: string | null;
  port: number;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-f:]{2,39}$/i;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const WILDCARD = new Set(["0.0.0.0", "::", ""]);

/** `host` for a URL, or null when it is not a plain IP address or DNS name. */
function urlHost(address: string): string | null {
  // All-digit names are not DNS names: URL parsing would read "1.2.3" as the IP 1.2.0.3.
  if (IPV4.test(address) || (DNS_NAME.test(address) && !/^[\d.]+$/.test(address)))
    return address.toLowerCase();
  if (IPV6.test(address) && address.includes(":")) return `[${address.toLowerCase()}]`;
  return null;
}

function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === "::1" || address.toLowerCase() === "localhost";
}

/** Compose's short ("127.0.0.1:8080:80/tcp", "8080:80") and long syntax; fixed TCP host ports only. */
function publishedPort(entry: unknown): PublishedPort | null {
  let ip: string | null = null;
  let published: unknown;
  let protocol: unknown = "tcp";
  if (typeof entry === "string") {
    const [mapping = "", proto = "tcp"] = entry.split("/");
    protocol = proto;
    // "[::1]:8080:80" and "::1:8080:80" both name an IPv6 address before the two ports.
    const parts = mapping.split(":");
    if (parts.length < 2) return null;
    parts.pop();
    published = parts.pop();
    if (parts.length) ip = parts.join(":").replace(/^\[(.*)\]$/, "$1");
  } else if (entry && typeof entry === "object") {
    const p = entry as { published?: unknown; host_ip?: unknown; protocol?: unknown };
    published = p.published;
    protocol = p.protocol ?? "tcp";
    ip = typeof p.host_ip === "string" ? p.host_ip : null;
  } else return null;
  const port = Number(published);
  if (
    protocol !== "tcp" ||
    !Number.isInteger(port) ||
    port < 1 ||
    port > 65535 ||
    !/^\d+$/.test(String(published))
  )
    return null;
  return { ip, port };
}

function composePorts(service: WorkflowSpec["services"][string]): PublishedPort[] {
  if (!("compose" in service) || !service.compose.inline) return [];
  const containers = (service.compose.inline.services ?? {}) as Record<string, { ports?: unknown }>;
  return Object.values(containers).flatMap((c) =>
    Array.isArray(c?.ports) ? c.ports.map(publishedPort).filter((p): p is PublishedPort => p !== null) : [],
  );
}

/** The address a wildcard-bound port is reached at on this host. */
function hostAddress(host: { name: string; facts: unknown }): string | null {
  const hostname = (host.facts as { hostname?: unknown } | null)?.hostname;
  for (const candidate of [
    ...hostAddresses(host.facts),
    typeof hostname === "string" ? hostname : "",
    host.name,
  ])
    if (candidate && urlHost(candidate)) return candidate;
  return null;
}

export interface ListenHost {
  name: string;
  facts: unknown;
  /** Host ports per service, as the agent's heartbeats report them (ServiceHealth stats). */
  reported?: { service: string; published: number }[];
}

export function listenLinks(spec: WorkflowSpec | null, hosts: ListenHost[]): ListenLink[] {
  if (!spec) return [];
  const links: ListenLink[] = [];
  const seen = new Set<string>();
  const add = (link: Omit<ListenLink, "url">, address: string, port: number | null, path = "/") => {
    const host = urlHost(address);
    if (!host) return;
    const origin = port === null ? `https://${host}` : `http://${host}:${port}`;
    const url = new URL(path, origin);
    // A path such as "//elsewhere" would change the host: only links to the address itself.
    if (url.origin !== new URL(origin).origin || seen.has(url.href)) return;
    seen.add(url.href);
    links.push({ ...link, url: url.href });
  };
  for (const [service, s] of Object.entries(spec.services)) {
    const fixed = composePorts(s);
    for (const { ip, port } of fixed) {
      if (ip !== null && !WILDCARD.has(ip)) {
        // One address for every host: name the host only when there is just one.
        add(
          { service, host: hosts.length === 1 ? hosts[0]!.name : null, loopback: isLoopback(ip) },
          ip,
          port,
        );
        continue;
      }
      for (const host of hosts) {
        const address = hostAddress(host);
        if (address) add({ service, host: host.name, loopback: false }, address, port);
      }
    }
    // systemd/Nix report the ports their health checks probe, which says nothing of the binding.
    if ("compose" in s)
      for (const host of hosts) {
        const address = hostAddress(host);
        for (const r of host.reported ?? [])
          if (
            address &&
            r.service === service &&
            Number.isInteger(r.published) &&
            r.published >= 1 &&
            r.published <= 65535 &&
            !fixed.some((f) => f.port === r.published)
          )
            add({ service, host: host.name, loopback: false }, address, r.published);
      }
    for (const domain of s.domains ?? [])
      add({ service, host: null, loopback: false }, domain.host, null, domain.path ?? "/");
  }
  return links;
}
