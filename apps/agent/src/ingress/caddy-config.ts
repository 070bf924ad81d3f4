// The whole Caddy JSON config for a host, built from the routes the agent keeps (ingress-routes.ts).
// Pure: the same routes give the same config, so the agent can always `POST /load` the complete
// state instead of patching, and a test can read exactly what Caddy gets. Every value written
// here was validated by the workflow schema (domain-spec.ts) and is checked again below, because
// a header value with a brace would be a Caddy placeholder and a CR/LF a split response.
import {
  acmeDirectory,
  DOMAIN_HOST_PATTERN,
  type Domain,
  domainNames,
  HEADER_NAME_PATTERN,
  HEADER_VALUE_PATTERN,
  hstsHeaderValue,
  PATH_PREFIX_PATTERN,
  type Tls,
} from "@capstan/templates";
import { adminConfig } from "./caddy-admin";
import { tlsLogging } from "./certificate-state";

/** One domain of one service, with where its traffic goes. */
export interface IngressRoute {
  workflow: string;
  service: string;
  domain: Domain;
  /** host:port Caddy dials: 127.0.0.1:<port> for units, <container ip>:<port> per Compose replica. */
  upstreams: string[];
}

/**
 * What one workflow's certificates need: its tls choice, resolved EAB key, or (issuer custom) the
 * uploaded certificate and key, checked at claim (never logged).
 */
export interface WorkflowTls {
  tls: Tls;
  eabMacKey?: string;
  certificatePem?: string;
  keyPem?: string;
}

export interface CaddyConfigOptions {
  /** Caddy's admin socket (caddy-process.ts). */
  adminSocket: string;
  storageDir: string;
  httpPort: number;
  httpsPort: number;
  /** Address the listeners bind, "" for every interface (production), 127.0.0.1 in tests. */
  bindHost: string;
  /** PEM files trusted for the ACME directory's own HTTPS (a private CA such as Pebble). */
  acmeCaRoots?: string[];
  /** Where Caddy logs certificate issuance (certificate-state.ts); no file log when absent. */
  tlsLogFile?: string;
}

export const UPSTREAM_PATTERN = /^(127\.0\.0\.1|[0-9]{1,3}(\.[0-9]{1,3}){3}):[0-9]{1,5}$/;

function assertSafe(route: IngressRoute): void {
  const { domain } = route;
  const bad = (what: string) => {
    throw new Error(`refusing to route ${route.workflow}/${route.service}: ${what} is not allowed`);
  };
  if (!DOMAIN_HOST_PATTERN.test(domain.host)) bad("the host name");
  if (domain.path !== undefined && (!PATH_PREFIX_PATTERN.test(domain.path) || domain.path.includes("..")))
    bad("the path");
  for (const [name, value] of Object.entries(domain.headers ?? {}))
    if (!HEADER_NAME_PATTERN.test(name) || !HEADER_VALUE_PATTERN.test(value)) bad(`the header ${name}`);
  if (route.upstreams.length === 0 || !route.upstreams.every((u) => UPSTREAM_PATTERN.test(u)))
    bad("the upstream");
}

function pathMatch(path: string | undefined): Record<string, string[]> {
  if (path === undefined || path === "/") return {};
  const base = path.replace(/\/+$/, "");
  return { path: [base, `${base}/*`] };
}

function redirectTo(host: string) {
  return {
    handler: "static_response",
    status_code: 308,
    headers: { Location: [`https://${host}{http.request.uri}`] },
  };
}

/** The handlers that serve a domain: its response headers, then the proxy. */
function serve(route: IngressRoute) {
  const set: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(route.domain.headers ?? {})) set[name] = [value];
  const hsts = hstsHeaderValue(route.domain.hsts);
  if (hsts) set["Strict-Transport-Security"] = [hsts];
  return [
    ...(Object.keys(set).length > 0 ? [{ handler: "headers", response: { set } }] : []),
    { handler: "reverse_proxy", upstreams: route.upstreams.map((dial) => ({ dial })) },
  ];
}

const routeId = (r: IngressRoute, i: number) => `capstan-${r.workflow}-${r.service}-${i}`;

/** Longer path prefixes first, so `/api` wins over `/` on the same name. */
function bySpecificity(a: IngressRoute, b: IngressRoute): number {
  return (
    (b.domain.path ?? "").length - (a.domain.path ?? "").length || a.domain.host.localeCompare(b.domain.host)
  );
}

export function buildCaddyConfig(
  routes: IngressRoute[],
  tlsByWorkflow: Record<string, WorkflowTls>,
  options: CaddyConfigOptions,
): Record<string, unknown> {
  routes.forEach(assertSafe);
  const ordered = [...routes].sort(bySpecificity);
  const httpsRoutes: unknown[] = [];
  const httpRoutes: unknown[] = [];
  ordered.forEach((route, i) => {
    const id = routeId(route, i);
    const [, twin] = domainNames(route.domain);
    const match = { host: [route.domain.host], ...pathMatch(route.domain.path) };
    httpsRoutes.push({ "@id": id, match: [match], handle: serve(route), terminal: true });
    if (twin)
      httpsRoutes.push({
        match: [{ host: [twin] }],
        handle: [redirectTo(route.domain.host)],
        terminal: true,
      });
    const hosts = twin ? [route.domain.host, twin] : [route.domain.host];
    httpRoutes.push({
      match: [{ host: hosts, ...pathMatch(route.domain.path) }],
      handle: route.domain.redirectHttp ? [redirectTo(route.domain.host)] : serve(route),
      terminal: true,
    });
  });
  const listen = (port: number) => [`${options.bindHost}:${port}`];
  return {
    admin: adminConfig(options.adminSocket),
    storage: { module: "file_system", root: options.storageDir },
    ...(options.tlsLogFile ? { logging: tlsLogging(options.tlsLogFile) } : {}),
    apps: {
      http: {
        http_port: options.httpPort,
        https_port: options.httpsPort,
        servers: {
          // Redirects are explicit (per domain) in the HTTP server, which also answers HTTP-01.
          https: {
            listen: listen(options.httpsPort),
            routes: httpsRoutes,
            automatic_https: { disable_redirects: true },
          },
          http: { listen: listen(options.httpPort), routes: httpRoutes },
        },
      },
      tls: {
        automation: { policies: tlsPolicies(routes, tlsByWorkflow, options) },
        ...uploadedCertificates(routes, tlsByWorkflow),
      },
      pki: { certificate_authorities: { local: { install_trust: false } } },
    },
  };
}

/** One automation policy per workflow: its names, its issuer. */
function tlsPolicies(
  routes: IngressRoute[],
  tlsByWorkflow: Record<string, WorkflowTls>,
  options: CaddyConfigOptions,
): unknown[] {
  const subjects = new Map<string, Set<string>>();
  for (const route of routes) {
    const names = subjects.get(route.workflow) ?? new Set<string>();
    for (const name of domainNames(route.domain)) names.add(name);
    subjects.set(route.workflow, names);
  }
  // Names with an uploaded certificate get no policy: Caddy does not manage a name whose
  // certificate is loaded by hand, and an issuer here would make it try.
  return [...subjects]
    .filter(([workflow]) => tlsByWorkflow[workflow]?.tls.issuer !== "custom")
    .map(([workflow, names]) => {
      const { tls, eabMacKey } = tlsByWorkflow[workflow] ?? { tls: { issuer: "acme" } };
      return { subjects: [...names].sort(), issuers: [issuer(tls, eabMacKey, options)] };
    });
}

/** `issuer: custom`: each routed workflow's uploaded certificate, loaded from the config itself. */
function uploadedCertificates(routes: IngressRoute[], tlsByWorkflow: Record<string, WorkflowTls>) {
  const loaded = [...new Set(routes.map((r) => r.workflow))].flatMap((workflow) => {
    const { tls, certificatePem, keyPem } = tlsByWorkflow[workflow] ?? { tls: { issuer: "acme" } };
    if (tls.issuer !== "custom") return [];
    if (!certificatePem || !keyPem)
      throw new Error(`refusing to route ${workflow}: issuer custom without its certificate and key`);
    return [{ certificate: certificatePem, key: keyPem, tags: [`capstan-${workflow}`] }];
  });
  return loaded.length > 0 ? { certificates: { load_pem: loaded } } : {};
}

function issuer(tls: Tls, eabMacKey: string | undefined, options: CaddyConfigOptions) {
  if (tls.issuer === "internal") return { module: "internal" };
  const eab = tls.acme?.eab;
  return {
    module: "acme",
    ca: acmeDirectory(tls),
    ...(tls.acme?.email ? { email: tls.acme.email } : {}),
    ...(options.acmeCaRoots?.length ? { trusted_roots_pem_files: options.acmeCaRoots } : {}),
    ...(eab && eabMacKey ? { external_account: { key_id: eab.keyId, mac_key: eabMacKey } } : {}),
  };
}
