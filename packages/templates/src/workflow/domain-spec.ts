// `services.<name>.domains` and the workflow's `tls`: what the host's ingress (Caddy) routes to a
// service and how it gets certificates. Every value here reaches Caddy's JSON config and, for
// headers, every HTTP response the host sends, so each is allowlisted: host names are RFC 1123
// labels in lower case, paths a small character set without `..`, header names tokens and header
// values printable ASCII (no CR/LF, so no response splitting). Kept free of imports from spec.ts
// so spec.ts can compose it.
import { z } from "zod";

/** One RFC 1123 label: 1-63 lower-case letters, digits or inner dashes. */
const LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
/** At least two labels (a public certificate needs a dot) and a top-level label that is not all digits. */
export const DOMAIN_HOST_PATTERN = new RegExp(`^(${LABEL}\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`);
export const MAX_DOMAIN_HOST_LENGTH = 253;
/** A path prefix as Caddy matches it: `/api`, `/app/v2`. */
export const PATH_PREFIX_PATTERN = /^\/[A-Za-z0-9._~\-/]*$/;
/** An HTTP token (RFC 9110), narrowed to letters, digits and dashes. */
export const HEADER_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
/**
 * Printable ASCII only: no CR, LF, NUL or other control characters reach a response. Braces are
 * refused too: Caddy reads `{env.NAME}` in a header value as a placeholder, which would copy the
 * ingress's environment into responses.
 */
export const HEADER_VALUE_PATTERN = /^[\x20-\x7a|~]{0,1024}$/;
/** Headers Caddy or the ingress owns; setting them by hand would break framing or the TLS setup. */
const RESERVED_HEADERS = new Set([
  "connection",
  "content-length",
  "host",
  "keep-alive",
  "strict-transport-security",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

export function domainHostProblem(host: string): string | null {
  if (host.length > MAX_DOMAIN_HOST_LENGTH) return `must be at most ${MAX_DOMAIN_HOST_LENGTH} characters`;
  if (host.startsWith("*")) return "wildcard names are not supported; list each name";
  if (host !== host.toLowerCase()) return `must be lower case (write "${host.toLowerCase()}")`;
  if (!DOMAIN_HOST_PATTERN.test(host))
    return 'must be a DNS name like "shop.example.com": labels of letters, digits and inner dashes (1-63 characters each), joined by dots, not an IP address';
  return null;
}

export const domainHostSchema = z.string().superRefine((host, ctx) => {
  const message = domainHostProblem(host);
  if (message) ctx.addIssue({ code: "custom", message });
});

export const pathPrefixSchema = z
  .string()
  .max(256)
  .regex(PATH_PREFIX_PATTERN, 'must start with "/" and contain only letters, digits and . _ ~ - /')
  .refine((p) => !p.split("/").includes(".."), "must not contain '..'")
  .refine((p) => !p.split("/").includes("."), "must not contain '.' segments");

const headersSchema = z
  .record(
    z
      .string()
      .regex(HEADER_NAME_PATTERN, "header names are letters, digits and dashes, starting with a letter")
      .refine(
        (n) => !RESERVED_HEADERS.has(n.toLowerCase()),
        "this header is set by the ingress (use `hsts` for Strict-Transport-Security)",
      ),
    z
      .string()
      .regex(
        HEADER_VALUE_PATTERN,
        "header values are printable ASCII without braces, at most 1024 characters (no newline or control characters)",
      ),
  )
  .refine((h) => Object.keys(h).length <= 32, "at most 32 headers")
  .refine(
    (h) => new Set(Object.keys(h).map((n) => n.toLowerCase())).size === Object.keys(h).length,
    "header names must not repeat (they are case-insensitive)",
  );

export const hstsSchema = z.union([
  z.boolean(),
  z.strictObject({
    maxAge: z.number().int().min(0).max(63072000).default(31536000),
    includeSubdomains: z.boolean().default(false),
    preload: z.boolean().default(false),
  }),
]);

/** The `Strict-Transport-Security` value for `hsts` (the agent's Caddy config and the export). */
export function hstsHeaderValue(hsts: z.output<typeof hstsSchema> | undefined): string | undefined {
  if (!hsts) return undefined;
  const o = hsts === true ? { maxAge: 31536000, includeSubdomains: false, preload: false } : hsts;
  return [`max-age=${o.maxAge}`, o.includeSubdomains && "includeSubDomains", o.preload && "preload"]
    .filter(Boolean)
    .join("; ");
}

export const domainSchema = z.strictObject({
  host: domainHostSchema,
  /** Compose: the container port; systemd/Nix: the port the service listens on at 127.0.0.1. */
  port: z
    .number()
    .int()
    .min(1, "must be a port from 1 to 65535")
    .max(65535, "must be a port from 1 to 65535"),
  /** Compose only: the Compose service that receives the traffic (needed when the file has several). */
  service: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, "must be the name of a service in the Compose file")
    .optional(),
  /** Only requests under this prefix go to the service. */
  path: pathPrefixSchema.optional(),
  redirectHttp: z.boolean().default(true),
  /** Also answer the www (or apex) twin of `host` with a permanent redirect to `host`. */
  www: z.enum(["redirect-to-apex", "redirect-to-www"]).optional(),
  headers: headersSchema.optional(),
  hsts: hstsSchema.optional(),
});
export type Domain = z.output<typeof domainSchema>;

export const domainsSchema = z
  .array(domainSchema)
  .max(32)
  .superRefine((domains, ctx) => {
    const seen = new Map<string, number>();
    domains.forEach((d, index) => {
      const key = `${d.host}${d.path ?? ""}`;
      const first = seen.get(key);
      if (first !== undefined)
        ctx.addIssue({
          code: "custom",
          path: [index, "host"],
          message: `\`${key}\` is already listed at domains[${first}]`,
        });
      else seen.set(key, index);
      if (d.www === "redirect-to-apex" && d.host.startsWith("www."))
        ctx.addIssue({
          code: "custom",
          path: [index, "www"],
          message: "redirect-to-apex needs the apex as `host` (without www.)",
        });
      if (d.www === "redirect-to-www" && !d.host.startsWith("www."))
        ctx.addIssue({
          code: "custom",
          path: [index, "www"],
          message: "redirect-to-www needs the www name as `host` (www.example.com)",
        });
    });
  });

/** The names a domain answers: its host and, with `www`, the twin that redirects to it. */
export function domainNames(domain: Pick<Domain, "host" | "www">): string[] {
  if (domain.www === "redirect-to-apex") return [domain.host, `www.${domain.host}`];
  if (domain.www === "redirect-to-www") return [domain.host, domain.host.slice("www.".length)];
  return [domain.host];
}

export const LETS_ENCRYPT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory";
export const LETS_ENCRYPT_STAGING_DIRECTORY = "https://acme-staging-v02.api.letsencrypt.org/directory";

const acmeSchema = z
  .strictObject({
    /** Any ACME directory URL (https only); Let's Encrypt by default. */
    directory: z
      .string()
      .max(2048)
      .regex(/^https:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~\-/]*)?$/, "must be an https:// URL")
      .optional(),
    /** Let's Encrypt's staging directory (untrusted certificates, generous rate limits). */
    staging: z.boolean().default(false),
    email: z
      .string()
      .max(254)
      .regex(/^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, "must be an e-mail address")
      .optional(),
    /** External account binding (ZeroSSL, Google, private CAs): the HMAC key is a secret's name. */
    eab: z
      .strictObject({
        keyId: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, "must be letters, digits, _ and -"),
        hmacKey: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]{0,127}$/, "must name a secret of this workflow (like ACME_EAB_HMAC)"),
      })
      .optional(),
  })
  .refine((a) => !(a.staging && a.directory), {
    message: "set either `staging` or `directory`, not both",
  });

const secretName = (what: string) =>
  z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/, `must name a secret of this workflow holding ${what}`);

export const tlsSchema = z
  .strictObject({
    /**
     * acme: public certificates (default); internal: Caddy's own CA, for private networks;
     * custom: an uploaded certificate and key, each kept in a secret.
     */
    issuer: z.enum(["acme", "internal", "custom"]).default("acme"),
    acme: acmeSchema.optional(),
    /** With `issuer: custom`: the secret holding the PEM certificate (chain), leaf first. */
    certificate: secretName("the PEM certificate").optional(),
    /** With `issuer: custom`: the secret holding the PEM private key. */
    key: secretName("the PEM private key").optional(),
  })
  .refine((t) => t.issuer === "acme" || t.acme === undefined, {
    message: "`acme` settings need `issuer: acme`",
    path: ["acme"],
  })
  .refine((t) => t.issuer !== "custom" || (t.certificate !== undefined && t.key !== undefined), {
    message: "`issuer: custom` needs `certificate` and `key` (the names of the secrets holding the PEMs)",
    path: ["issuer"],
  })
  .refine((t) => t.issuer === "custom" || (t.certificate === undefined && t.key === undefined), {
    message: "`certificate` and `key` need `issuer: custom`",
    path: ["certificate"],
  });
export type Tls = z.output<typeof tlsSchema>;

/** The directory a workflow's certificates come from. */
export function acmeDirectory(tls: Tls): string {
  if (tls.acme?.directory) return tls.acme.directory;
  return tls.acme?.staging ? LETS_ENCRYPT_STAGING_DIRECTORY : LETS_ENCRYPT_DIRECTORY;
}
