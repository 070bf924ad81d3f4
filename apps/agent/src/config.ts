// The agent's configuration: /etc/capstan/agent.env (KEY=VALUE lines, mode 0600) overlaid by the
// process environment, validated once at start-up. This is the only module that reads process.env.
import { chmodSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { z } from "zod";
import { controlPlaneUrlProblem, normalizePin } from "./trust";

export const DEFAULT_CONFIG_FILE = "/etc/capstan/agent.env";
export const DEFAULT_STATE_DIR = "/var/lib/capstan";
/** Written by the install script; see host-policy.ts. */
export const DEFAULT_POLICY_FILE = "/etc/capstan/policy.json";

const seconds = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const hostNamePattern = /^[a-z0-9][a-z0-9.-]{0,62}$/;
const labelPattern = /^[a-z0-9][a-z0-9_.-]{0,62}=[A-Za-z0-9_.-]{0,63}$/;

export const configSchema = z.object({
  CAPSTAN_URL: z
    .url({ error: "CAPSTAN_URL must be the control plane's URL, e.g. https://capstan.example.com" })
    .refine((u) => /^https?:\/\//.test(u), "CAPSTAN_URL must start with https:// (or http:// for loopback)")
    .transform((u) => u.replace(/\/+$/, "")),
  /** sha256 of the control plane's public key (SPKI): see trust.ts. */
  CAPSTAN_PIN: z
    .string()
    .refine(
      (v) => normalizePin(v) !== null,
      "CAPSTAN_PIN must be sha256:<64 hex digits> (see docs/user/hosts.md)",
    )
    .transform((v) => normalizePin(v) as string)
    .optional(),
  CAPSTAN_ENROLLMENT_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9_.~-]{8,512}$/, "CAPSTAN_ENROLLMENT_TOKEN has unexpected characters")
    .optional(),
  CAPSTAN_HOST_NAME: z
    .string()
    .regex(hostNamePattern, "CAPSTAN_HOST_NAME must be lower-case letters, digits, '.' and '-'")
    .optional(),
  /** Comma-separated key=value labels sent at enrollment. */
  CAPSTAN_LABELS: z
    .string()
    .default("")
    .transform((s, ctx) => {
      const labels: Record<string, string> = {};
      for (const item of s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean)) {
        if (!labelPattern.test(item)) {
          ctx.addIssue({ code: "custom", message: `label "${item.slice(0, 40)}" must look like key=value` });
          return z.NEVER;
        }
        const [k, v] = item.split("=") as [string, string];
        labels[k] = v;
      }
      return labels;
    }),
  CAPSTAN_STATE_DIR: z
    .string()
    .startsWith("/", "CAPSTAN_STATE_DIR must be absolute")
    .default(DEFAULT_STATE_DIR),
  CAPSTAN_SYSTEMD_UNIT_DIR: z.string().startsWith("/").default("/etc/systemd/system"),
  /** The host-local policy, intersected with the control plane's (host-policy.ts). */
  CAPSTAN_POLICY_FILE: z
    .string()
    .startsWith("/", "CAPSTAN_POLICY_FILE must be absolute")
    .default(DEFAULT_POLICY_FILE),
  CAPSTAN_DOCKER_SOCKET: z.string().startsWith("/").default("/var/run/docker.sock"),
  CAPSTAN_HEARTBEAT_SECONDS: seconds(15, 1, 3600),
  CAPSTAN_LEASE_RENEW_SECONDS: seconds(10, 1, 600),
  /** Hours between scheduled prunes of unreferenced Capstan-built images; 0 turns them off. */
  CAPSTAN_PRUNE_EVERY_HOURS: z.coerce
    .number()
    .int()
    .min(0)
    .max(24 * 365)
    .default(24),
  CAPSTAN_KEEP_RELEASES: z.coerce.number().int().min(1).max(50).default(3),
  CAPSTAN_OUTBOX_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(4096)
    .default(16 * 1024 * 1024),
  /** The ingress (docs/user/domains.md): Caddy's ports, the address it binds ("" for all) and program. */
  CAPSTAN_INGRESS_HTTP_PORT: z.coerce.number().int().min(1).max(65535).default(80),
  CAPSTAN_INGRESS_HTTPS_PORT: z.coerce.number().int().min(1).max(65535).default(443),
  CAPSTAN_INGRESS_BIND: z
    .string()
    .regex(/^[0-9.]{7,15}$/, "CAPSTAN_INGRESS_BIND must be an IPv4 address (unset: every interface)")
    .optional(),
  /** Comma-separated PEM files trusted for a private ACME directory's own HTTPS (step-ca, Pebble). */
  CAPSTAN_INGRESS_ACME_CA_ROOTS: z
    .string()
    .transform((v) => v.split(",").filter(Boolean))
    .refine((l) => l.every((p) => p.startsWith("/")), "CAPSTAN_INGRESS_ACME_CA_ROOTS must be absolute paths")
    .optional(),
  CAPSTAN_CADDY: z.string().startsWith("/").default("/usr/bin/caddy"),
  CAPSTAN_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Set by systemd for every service it starts; tells us `systemctl start docker` is ours to try. */
  INVOCATION_ID: z.string().optional(),
});

export type RawConfig = z.infer<typeof configSchema>;

export interface AgentConfig {
  url: string;
  /** Certificate pin (sha256:<hex> of the control plane's SPKI), checked on every request. */
  pin?: string;
  enrollmentToken?: string;
  hostName: string;
  labels: Record<string, string>;
  configFile: string;
  stateDir: string;
  unitDir: string;
  policyFile: string;
  dockerSocket: string;
  heartbeatMs: number;
  leaseRenewMs: number;
  keepReleases: number;
  pruneEveryMs: number;
  outboxMaxBytes: number;
  logLevel: RawConfig["CAPSTAN_LOG_LEVEL"];
  underSystemd: boolean;
  ingress: {
    httpPort: number;
    httpsPort: number;
    bindHost: string;
    acmeCaRoots: string[];
    caddy: string;
  };
  /** What child processes (docker compose, systemctl) inherit: the environment minus CAPSTAN_*. */
  childEnv: NodeJS.ProcessEnv;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses KEY=VALUE lines; `#` comments, blank lines, optional `export ` and matching quotes. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (!line || line.startsWith("#")) continue;
    const match = /^(?:export\s+)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2]!.trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]!)) {
      value = value.slice(1, -1);
    }
    out[match[1]!] = value;
  }
  return out;
}

function readConfigFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return parseEnvFile(text);
}

/** Group/other access to a file that may hold the enrollment token is tightened, and reported. */
export function tightenConfigMode(path: string): boolean {
  try {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) {
      chmodSync(path, 0o600);
      return true;
    }
  } catch {
    // a missing file has nothing to tighten
  }
  return false;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const configFile = env.CAPSTAN_CONFIG_FILE || DEFAULT_CONFIG_FILE;
  const merged: Record<string, string | undefined> = { ...readConfigFile(configFile) };
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== "") merged[key] = value;
  }
  for (const key of Object.keys(merged)) if (merged[key] === "") delete merged[key];
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    // Issues name the key and the rule, never the value: the token must not reach a log line.
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`);
    throw new ConfigError(`invalid configuration (${configFile} and environment): ${problems.join("; ")}`);
  }
  const c = parsed.data;
  const urlProblem = controlPlaneUrlProblem(c.CAPSTAN_URL, c.CAPSTAN_PIN);
  if (urlProblem)
    throw new ConfigError(`invalid configuration (${configFile} and environment): ${urlProblem}`);
  const fallbackName = hostname()
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .slice(0, 63);
  return {
    url: c.CAPSTAN_URL,
    pin: c.CAPSTAN_PIN,
    enrollmentToken: c.CAPSTAN_ENROLLMENT_TOKEN,
    hostName: c.CAPSTAN_HOST_NAME ?? (fallbackName || "host"),
    labels: c.CAPSTAN_LABELS,
    configFile,
    stateDir: c.CAPSTAN_STATE_DIR,
    unitDir: c.CAPSTAN_SYSTEMD_UNIT_DIR,
    policyFile: c.CAPSTAN_POLICY_FILE,
    dockerSocket: c.CAPSTAN_DOCKER_SOCKET,
    heartbeatMs: c.CAPSTAN_HEARTBEAT_SECONDS * 1000,
    leaseRenewMs: c.CAPSTAN_LEASE_RENEW_SECONDS * 1000,
    keepReleases: c.CAPSTAN_KEEP_RELEASES,
    pruneEveryMs: c.CAPSTAN_PRUNE_EVERY_HOURS * 3_600_000,
    outboxMaxBytes: c.CAPSTAN_OUTBOX_MAX_BYTES,
    logLevel: c.CAPSTAN_LOG_LEVEL,
    underSystemd: Boolean(c.INVOCATION_ID),
    ingress: {
      httpPort: c.CAPSTAN_INGRESS_HTTP_PORT,
      httpsPort: c.CAPSTAN_INGRESS_HTTPS_PORT,
      bindHost: c.CAPSTAN_INGRESS_BIND ?? "",
      acmeCaRoots: c.CAPSTAN_INGRESS_ACME_CA_ROOTS ?? [],
      caddy: c.CAPSTAN_CADDY,
    },
    childEnv: Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith("CAPSTAN_"))),
  };
}

/** Rewrites the config file without the enrollment token line (atomically, keeping 0600). */
export function removeEnrollmentToken(path: string): void {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const kept = text.split("\n").filter((line) => !/^\s*(export\s+)?CAPSTAN_ENROLLMENT_TOKEN=/.test(line));
  const tmp = join(dirname(path), `.agent.env.${process.pid}.tmp`);
  writeFileSync(tmp, kept.join("\n"), { mode: 0o600 });
  renameSync(tmp, path);
}
