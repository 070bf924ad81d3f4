// The web app's environment, validated once at start-up (instrumentation.ts imports this).
// Nothing else reads process.env.
import { createEnv } from "@t3-oss/env-nextjs";
import { z } from "zod";
import { parseTrustedProxies } from "./server/client-address";
import { OIDC_PRESETS, resolveOidcConfig } from "./server/oidc-config";

const production = process.env.NODE_ENV === "production";

export const env = createEnv({
  server: {
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
    DATABASE_URL: z
      .string({
        error:
          "DATABASE_URL is missing: set it to a postgresql:// URL (npm start sets it for the embedded database).",
      })
      .regex(
        /^postgres(ql)?:\/\/[^\s]+$/,
        "DATABASE_URL must be a postgresql:// URL, e.g. postgresql://user:password@127.0.0.1:5432/capstan",
      ),
    /** Pool size per process; the embedded database needs 1. */
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
    NEXTAUTH_SECRET: production
      ? z
          .string({ error: "NEXTAUTH_SECRET is missing: generate one with `openssl rand -base64 32`." })
          .min(32, "NEXTAUTH_SECRET is too short: use at least 32 characters (`openssl rand -base64 32`).")
      : z.string().min(1).default("capstan-development-secret-not-for-production"),
    NEXTAUTH_URL: z.url().optional(),
    /** Key-encryption key for secrets: 32 bytes, base64. Or CAPSTAN_SECRETS_KEY_FILE. */
    CAPSTAN_SECRETS_KEY: z.string().optional(),
    CAPSTAN_SECRETS_KEY_FILE: z.string().optional(),
    /** The URL agents and install scripts use to reach this control plane. */
    CAPSTAN_PUBLIC_URL: z.url().optional(),
    CAPSTAN_METRICS_TOKEN: z.string().min(16).optional(),
    /** Webhooks may go to loopback and private addresses (link-local/metadata never). */
    CAPSTAN_OUTBOUND_ALLOW_PRIVATE: z
      .enum(["true", "false"])
      .default("false")
      .transform((v) => v === "true"),
    /** Agent protocol timing (seconds): long-poll hold, heartbeat interval, job lease length. */
    CAPSTAN_AGENT_POLL_SECONDS: z.coerce.number().int().min(1).max(60).default(25),
    CAPSTAN_AGENT_HEARTBEAT_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
    CAPSTAN_AGENT_LEASE_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
    /** Agent requests one agent server works on at once; more are answered 503 + Retry-After. */
    CAPSTAN_AGENT_MAX_REQUESTS_IN_PROGRESS: z.coerce.number().int().min(1).max(100_000).default(128),
    /** Host alert thresholds (docs/user/operations.md, "Housekeeping and alerts"). */
    CAPSTAN_ALERT_DISK_USED_PERCENT: z.coerce.number().min(1).max(100).default(90),
    CAPSTAN_ALERT_MEMORY_AVAILABLE_PERCENT: z.coerce.number().min(0).max(99).default(5),
    CAPSTAN_ALERT_RESTARTS: z.coerce.number().int().min(2).max(1000).default(5),
    CAPSTAN_ALERT_RESTART_MINUTES: z.coerce.number().int().min(1).max(1440).default(10),
    /** Where the agent executables are served from (the agent's build output by default). */
    CAPSTAN_AGENT_DIST_DIR: z.string().optional(),
    /** Where the CLI's single-file build is served from (apps/cli/dist by default). */
    CAPSTAN_CLI_DIST_DIR: z.string().optional(),
    /** The template catalogue's folder (templates/catalogue in the repository by default). */
    CAPSTAN_TEMPLATES_DIR: z.string().optional(),
    /** How long an upgraded agent has to check in before its host restores the previous one. */
    CAPSTAN_AGENT_UPGRADE_DEADLINE_SECONDS: z.coerce.number().int().min(10).max(3600).default(120),
    /**
     * Proxies (IPs or CIDR ranges, comma-separated) whose X-Forwarded-For is believed for the
     * client address that sign-in throttling keys on. Unset: the socket's peer is the client.
     */
    CAPSTAN_TRUSTED_PROXIES: z
      .string()
      .optional()
      .superRefine((value, ctx) => {
        try {
          if (value) parseTrustedProxies(value);
        } catch (error) {
          ctx.addIssue({ code: "custom", message: `CAPSTAN_TRUSTED_PROXIES: ${(error as Error).message}` });
        }
      }),
    /** Also write the first-run setup code to this file (mode 0600): `npm start` and the e2e tests read it. */
    CAPSTAN_SETUP_CODE_FILE: z.string().optional(),
    /**
     * The dashboard's own port and address behind the agent server (server/agent-server/main.ts).
     * Default: a free port on 127.0.0.1, reached only through the agent server. Fixed, a reverse
     * proxy can route browsers to it directly (docs/user/getting-started.md, "Behind a reverse proxy").
     */
    CAPSTAN_DASHBOARD_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    CAPSTAN_DASHBOARD_HOST: z
      .string()
      .regex(
        /^[A-Za-z0-9.:-]{1,253}$/,
        "CAPSTAN_DASHBOARD_HOST must be an IP address or host name, e.g. 127.0.0.1 or 0.0.0.0",
      )
      .default("127.0.0.1"),
    /**
     * Set by the lean agent server for the dashboard process it starts (server/agent-server/main.ts),
     * never by hand: requests carrying it come from that server (server/request-stamps.ts).
     */
    CAPSTAN_FRONT_TOKEN: z.string().min(32).optional(),
    /** Set with the token: where the dashboard reads the agent server's metrics (loopback). */
    CAPSTAN_AGENT_SERVER_URL: z.url().optional(),
    /**
     * OIDC sign-in (docs/user/teams.md, "Single sign-on"), checked together by resolveOidcConfig below.
     * CAPSTAN_PASSWORD_SIGNIN=off leaves OIDC as the only way in.
     */
    CAPSTAN_OIDC_PRESET: z.enum(OIDC_PRESETS).optional(),
    CAPSTAN_OIDC_ISSUER: z
      .url("CAPSTAN_OIDC_ISSUER must be a URL, e.g. https://idp.example.com/realms/acme")
      .optional(),
    CAPSTAN_OIDC_CLIENT_ID: z.string().optional(),
    CAPSTAN_OIDC_CLIENT_SECRET: z.string().optional(),
    CAPSTAN_OIDC_GROUP_ROLES: z.string().optional(),
    CAPSTAN_PASSWORD_SIGNIN: z.enum(["on", "off"]).default("on"),
    // Optional email (invitations, reset links, failed-deploy notices); without it none is sent.
    // Links in emails use CAPSTAN_PUBLIC_URL. Failures are logged (never the password).
    CAPSTAN_SMTP_URL: z
      .string()
      .regex(
        /^smtps?:\/\/[^\s]+$/,
        "CAPSTAN_SMTP_URL must look like smtp://user:password@host:587 (or smtps://)",
      )
      .optional(),
    CAPSTAN_SMTP_FROM: z.string().min(3).max(320).optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  },
  client: {},
  experimental__runtimeEnv: {},
  // next build runs without a database or secrets; they are checked when the server starts.
  skipValidation: process.env.CAPSTAN_SKIP_ENV_VALIDATION === "1",
  emptyStringAsUndefined: true,
});

if (
  !env.CAPSTAN_SECRETS_KEY &&
  !env.CAPSTAN_SECRETS_KEY_FILE &&
  production &&
  process.env.CAPSTAN_SKIP_ENV_VALIDATION !== "1"
) {
  throw new Error(
    "Secrets key is missing: set CAPSTAN_SECRETS_KEY (32 random bytes, base64: `openssl rand -base64 32`) or CAPSTAN_SECRETS_KEY_FILE (a file holding that value).",
  );
}

/** The OIDC sign-in configuration (null: none); a bad combination stops start-up here. */
export const oidcConfig = process.env.CAPSTAN_SKIP_ENV_VALIDATION === "1" ? null : resolveOidcConfig(env);

// NextAuth builds its callback URLs from NEXTAUTH_URL, which it reads itself. Deployments usually
// set only CAPSTAN_PUBLIC_URL (docker/compose.yml does), so it stands in; without either, sign-in
// would redirect to NextAuth's default of http://localhost:3000.
if (!env.NEXTAUTH_URL && env.CAPSTAN_PUBLIC_URL) process.env.NEXTAUTH_URL = env.CAPSTAN_PUBLIC_URL;
if (production && !process.env.NEXTAUTH_URL && process.env.CAPSTAN_SKIP_ENV_VALIDATION !== "1") {
  throw new Error(
    "CAPSTAN_PUBLIC_URL is missing: set it to the URL people and agents use to reach Capstan, e.g. https://capstan.example.com.",
  );
}

/** The environment of the dashboard process the lean agent server starts: this one plus its token. */
export function dashboardProcessEnv(frontToken: string, agentServerUrl: string): NodeJS.ProcessEnv {
  return { ...process.env, CAPSTAN_FRONT_TOKEN: frontToken, CAPSTAN_AGENT_SERVER_URL: agentServerUrl };
}
