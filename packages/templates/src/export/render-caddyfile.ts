// The ingress in the export: a Caddyfile (for people; Capstan itself loads the same routes as
// JSON through Caddy's admin API, apps/agent/src/ingress/caddy-config.ts) that serves the
// workflow's domains the way the agent would: HTTPS with the workflow's `tls`, HTTP redirects,
// www twins, headers, HSTS, path prefixes (longest first). By hand there is no ingress network,
// so every upstream is 127.0.0.1:<port> and the export publishes Compose targets on loopback.
// Every value was validated by the workflow schema (no braces, quotes escaped below).
import { type Domain, domainNames, hstsHeaderValue, type Tls } from "../workflow/domain-spec";
import type { WorkflowSpec } from "../workflow/spec";

/** Where the README tells people to put an uploaded certificate and key. */
export const exportCertificateDir = (workflow: string) => `/etc/capstan/${workflow}/tls`;

const quote = (value: string) => `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

interface SiteRoute {
  service: string;
  domain: Domain;
}

function tlsDirective(workflow: string, tls: Tls | undefined): string[] {
  if (!tls || tls.issuer === "acme") {
    const acme = tls?.acme;
    const inner = [
      ...(acme?.directory ? [`ca ${acme.directory}`] : []),
      ...(acme?.staging ? ["ca https://acme-staging-v02.api.letsencrypt.org/directory"] : []),
      // Caddy reads the key from the environment when it starts: never written here.
      ...(acme?.eab ? [`eab ${acme.eab.keyId} {$${acme.eab.hmacKey}}`] : []),
    ];
    const head = acme?.email ? `tls ${acme.email}` : "tls";
    if (inner.length === 0) return acme?.email ? [head] : [];
    return [`${head} {`, ...inner.map((l) => `\t${l}`), "}"];
  }
  if (tls.issuer === "internal") return ["tls internal"];
  const dir = exportCertificateDir(workflow);
  return [`tls ${dir}/certificate.pem ${dir}/key.pem`];
}

function handle(route: SiteRoute, index: number): string[] {
  const { domain } = route;
  const headers = Object.entries(domain.headers ?? {});
  const hsts = hstsHeaderValue(domain.hsts);
  if (hsts) headers.push(["Strict-Transport-Security", hsts]);
  const body = [
    `# service ${route.service}`,
    ...headers.map(([name, value]) => `header ${name} ${quote(value)}`),
    `reverse_proxy 127.0.0.1:${domain.port}`,
  ].map((l) => `\t${l}`);
  if (domain.path === undefined || domain.path === "/") return ["handle {", ...body, "}"];
  const base = domain.path.replace(/\/+$/, "");
  return [`@path${index} path ${base} ${base}/*`, `handle @path${index} {`, ...body, "}"];
}

/** The Caddyfile for the workflow's domains, or null when it has none. */
export function renderCaddyfile(spec: WorkflowSpec): string | null {
  const byHost = new Map<string, SiteRoute[]>();
  for (const [service, s] of Object.entries(spec.services))
    for (const domain of s.domains ?? [])
      byHost.set(domain.host, [...(byHost.get(domain.host) ?? []), { service, domain }]);
  if (byHost.size === 0) return null;
  const tls = tlsDirective(spec.name, spec.tls);
  const blocks: string[] = [];
  const twins = new Set<string>();
  for (const [host, routes] of [...byHost].sort(([a], [b]) => a.localeCompare(b))) {
    routes.sort((a, b) => (b.domain.path ?? "").length - (a.domain.path ?? "").length);
    // Plain HTTP is redirected by Caddy unless a route of the name serves it too.
    const plain = routes.some((r) => r.domain.redirectHttp === false) ? `, http://${host}` : "";
    blocks.push(
      [`${host}${plain} {`, ...[...tls, ...routes.flatMap(handle)].map((l) => `\t${l}`), "}"].join("\n"),
    );
    for (const route of routes) {
      const [, twin] = domainNames(route.domain);
      if (twin && !twins.has(twin)) {
        twins.add(twin);
        blocks.push(
          [`${twin} {`, ...tls.map((l) => `\t${l}`), `\tredir https://${host}{uri} 308`, "}"].join("\n"),
        );
      }
    }
  }
  return `# Ingress for workflow ${spec.name}, exported from Capstan: run with
#   caddy run --config Caddyfile --adapter caddyfile
# Upstreams are 127.0.0.1:<port>: Compose targets are published on loopback in compose.yaml.
${blocks.join("\n\n")}
`;
}

/**
 * The inline Compose document with each domain's target container port published on loopback
 * (`127.0.0.1:<port>:<port>`), so the exported Caddyfile reaches it without Capstan's network.
 */
export function publishDomainPorts(
  inline: Record<string, unknown>,
  domains: Domain[] | undefined,
): Record<string, unknown> {
  if (!domains?.length) return inline;
  const services = structuredClone((inline.services ?? {}) as Record<string, Record<string, unknown>>);
  const names = Object.keys(services);
  for (const domain of domains) {
    const target = services[domain.service ?? (names.length === 1 ? names[0]! : "")];
    if (!target) continue;
    const publish = `127.0.0.1:${domain.port}:${domain.port}`;
    const ports = (target.ports ?? []) as unknown[];
    if (!ports.includes(publish)) target.ports = [...ports, publish];
  }
  return { ...inline, services };
}
