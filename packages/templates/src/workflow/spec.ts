// The workflow format (`capstan.yaml`). These schemas are the contract between the YAML a team
// writes, the revision the control plane stores, the job payload and the agent's renderers, so
// every object is strict (unknown keys are refused) and every name that can reach a path, a unit
// name or a project name matches a strict pattern.
import { z } from "zod";
import { commandArgvSchema } from "./argv-spec";
import { domainsSchema, tlsSchema } from "./domain-spec";
import { gitRefProblem, gitUrlProblem } from "./git-source-spec";
import { flakeRefSchema, nixAttributeSchema } from "./nix-spec";
import { tasksSchema } from "./task-spec";

/** Names that reach paths, unit names and Compose project names. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Secret names double as environment variable names. */
export const SECRET_NAME_PATTERN = /^[A-Z_][A-Z0-9_]{0,127}$/;
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** Host names as enrolled (may contain dots, e.g. web-1.eu). */
export const HOST_NAME_PATTERN = /^[a-z0-9][a-z0-9.-]{0,62}$/;
export const LABEL_KEY_PATTERN = /^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/;
export const LABEL_VALUE_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$|^$/;
/** A systemd unit another unit may be ordered after or require. */
export const UNIT_NAME_PATTERN =
  /^[A-Za-z0-9:_.@-]{1,200}\.(service|socket|target|mount|timer|path|slice|device)$/;
export const PORT_ENV_PATTERN = /^[A-Z_][A-Z0-9_]{0,127}$/;
export const USER_NAME_PATTERN = /^[a-z_][a-z0-9_-]{0,30}$/;
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;
/** 90, "90s", "2m", "1h". */
export const DURATION_PATTERN = /^([1-9][0-9]{0,5})(s|m|h)?$/;

export const DEFAULT_DEADLINE_SECONDS = 120;
export const DEFAULT_RELEASE_TIMEOUT_SECONDS = 300;
export const MAX_DEADLINE_SECONDS = 6 * 3600;

const name = (what: string) =>
  z
    .string()
    .regex(
      NAME_PATTERN,
      `${what} must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit`,
    );

const noControlChars = (value: string) => !/[\0\r\n]/.test(value);

/** Strings that end up in files the agent writes: no NUL, CR or LF. */
const singleLine = (max = 4096) =>
  z.string().max(max).refine(noControlChars, "must be a single line (no newline, carriage return or NUL)");

const relativePath = z
  .string()
  .min(1)
  .max(255)
  .refine(noControlChars, "must be a single line (no newline, carriage return or NUL)")
  .refine((p) => !p.startsWith("/"), "must be a relative path")
  .refine((p) => !p.split("/").includes(".."), "must not contain '..'")
  .refine((p) => /^[A-Za-z0-9._/+-]+$/.test(p), "may contain only letters, digits and . _ / + -")
  .refine((p) => /^[A-Za-z0-9_.]/.test(p), "must start with a letter, digit, _ or .");

const absolutePath = z
  .string()
  .max(1024)
  .refine(noControlChars, "must be a single line (no newline, carriage return or NUL)")
  .refine((p) => p.startsWith("/"), "must be an absolute path")
  .refine((p) => !p.split("/").includes(".."), "must not contain '..'")
  .refine((p) => /^[A-Za-z0-9._/@+-]+$/.test(p), "may contain only letters, digits and . _ / @ + -");

/** http(s) URLs without whitespace, quotes or control characters (URL parsers drop some silently). */
const httpUrl = () =>
  z
    .string()
    .max(2048)
    // Checked before URL parsing: the parser would silently drop newlines and tabs.
    .refine(
      (u) => !/[\s"'`\\]/.test(u) && ![...u].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f),
      "must not contain whitespace, quotes, backslashes or control characters",
    )
    .pipe(z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }));

/** Seconds as a number, or "90s" / "2m" / "1h"; normalised to seconds. */
export const durationSchema = z
  .union([
    z.number().int().min(1).max(MAX_DEADLINE_SECONDS),
    z.string().regex(DURATION_PATTERN, 'must be seconds or a duration such as "90s", "2m" or "1h"'),
  ])
  .transform((value, ctx) => {
    const seconds = typeof value === "number" ? value : parseDuration(value);
    if (seconds > MAX_DEADLINE_SECONDS) {
      ctx.addIssue({ code: "custom", message: `must be at most ${MAX_DEADLINE_SECONDS} seconds` });
      return z.NEVER;
    }
    return seconds;
  });

export function parseDuration(value: string): number {
  const match = DURATION_PATTERN.exec(value);
  if (!match) throw new Error(`not a duration: ${value}`);
  const unit = match[2] ?? "s";
  return Number(match[1]) * (unit === "h" ? 3600 : unit === "m" ? 60 : 1);
}

/** YAML writes `PORT: 8080`; the value reaches files as text, so normalise to strings. */
const envValue = z
  .union([z.string().max(65536), z.number(), z.boolean()])
  .transform((v) => String(v))
  .refine(
    (v) => !/[\0\r\n]/.test(v),
    "must be a single line (no newline, carriage return or NUL); use a secret file for multi-line values",
  );

export const envSchema = z.record(
  z.string().regex(ENV_NAME_PATTERN, "environment variable names are letters, digits and _"),
  envValue,
);

const secretName = z
  .string()
  .regex(SECRET_NAME_PATTERN, "secret names are upper-case letters, digits and _ (like DB_PASSWORD)");

const uniqueList = <T extends z.ZodType>(item: T, what: string) =>
  z.array(item).refine((list) => new Set(list).size === list.length, `${what} must not repeat`);

export const httpHealthCheckSchema = z.strictObject({
  http: z.strictObject({
    url: httpUrl(),
    expectStatus: z.number().int().min(100).max(599).default(200),
    timeout: durationSchema.optional(),
  }),
});
export const tcpHealthCheckSchema = z.strictObject({
  tcp: z.strictObject({
    host: z
      .string()
      .regex(/^[A-Za-z0-9:][A-Za-z0-9.:-]{0,252}$/, "must be a host name or IP address")
      .default("127.0.0.1"),
    port: z.number().int().min(1).max(65535),
    timeout: durationSchema.optional(),
  }),
});
/** Runs on the host as an argument array (never a shell string); exit 0 means healthy. */
export const commandHealthCheckSchema = z.strictObject({
  command: z
    .array(singleLine())
    .min(1)
    .max(64)
    .superRefine((argv, ctx) => {
      if (argv[0] !== undefined && !argv[0].startsWith("/"))
        ctx.addIssue({ code: "custom", path: [0], message: "must be an absolute path" });
    }),
});
export const healthCheckSchema = z.union([
  httpHealthCheckSchema,
  tcpHealthCheckSchema,
  commandHealthCheckSchema,
]);
export type HealthCheck = z.output<typeof healthCheckSchema>;

/** A Compose service name (Compose allows dots and underscores, unlike Capstan's names). */
export const COMPOSE_SERVICE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/**
 * Runs once per deployment in the new release before it is activated (database migrations);
 * a non-zero exit fails the step and the previous release keeps running. argv only, never a
 * shell string. Where the program may live depends on the kind (validate-workflow.ts): inside
 * the container for Compose, an absolute path or `current/...` (the new release) for systemd,
 * a path in the built package for Nix.
 */
export const releaseCommandSchema = z.strictObject({
  command: commandArgvSchema,
  /** Compose only: the Compose service whose image and settings run the command. */
  service: z
    .string()
    .regex(COMPOSE_SERVICE_PATTERN, "must be the name of a service in the Compose file")
    .optional(),
  timeout: durationSchema.default(DEFAULT_RELEASE_TIMEOUT_SECONDS),
});
export type ReleaseCommand = z.output<typeof releaseCommandSchema>;

const commonServiceFields = {
  env: envSchema.default({}),
  secrets: uniqueList(secretName, "secrets").default([]),
  healthChecks: z.array(healthCheckSchema).max(16).default([]),
  deadline: durationSchema.default(DEFAULT_DEADLINE_SECONDS),
  dependsOn: uniqueList(name("a service name"), "dependsOn").default([]),
  release: releaseCommandSchema.optional(),
  /** Commands run on a schedule in this service's context (task-spec.ts). */
  tasks: tasksSchema.optional(),
  /** Names the host's ingress routes to this service over HTTPS (domain-spec.ts). */
  domains: domainsSchema.optional(),
};

export const composeSourceSchema = z
  .strictObject({
    /**
     * A Compose file next to the workflow. Without project files, loaders replace it with `inline`
     * before storing; when the revision has a bundle or a `source` it stays a path into them.
     */
    file: relativePath.optional(),
    /** A Compose document. */
    inline: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((c) => (c.file === undefined) !== (c.inline === undefined), {
    message: "set exactly one of `file` or `inline`",
  });
export type ComposeSource = z.output<typeof composeSourceSchema>;

export const composeServiceSpecSchema = z.strictObject({
  compose: composeSourceSchema,
  /**
   * For projects with no Dockerfile: a Compose service with `build:` whose context has none gets
   * Capstan's generated multi-stage Dockerfile for this kind (templates/src/export/render-dockerfile.ts).
   */
  dockerfile: z.enum(["node", "python"]).optional(),
  ...commonServiceFields,
});
export type ComposeServiceSpec = z.output<typeof composeServiceSpecSchema>;

export const artifactSchema = z.union([
  z.strictObject({
    url: httpUrl(),
    sha256: z.string().regex(SHA256_PATTERN, "must be 64 lower-case hex digits"),
    format: z.enum(["tar.gz", "tar", "binary"]).default("tar.gz"),
  }),
  z.strictObject({
    /** The name of an artifact uploaded to the control plane. */
    upload: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "must be an uploaded artifact name"),
    sha256: z.string().regex(SHA256_PATTERN, "must be 64 lower-case hex digits"),
    format: z.enum(["tar.gz", "tar", "binary"]).default("tar.gz"),
  }),
  z.strictObject({
    /** The revision's project files (its bundle: a `source` or an uploaded folder) are the release. */
    bundle: z.literal(true),
  }),
]);
export type Artifact = z.output<typeof artifactSchema>;

/** Directives a workflow may switch. `false` removes the directive, `true` writes `yes`. */
const boolDirective = z.boolean();
const capabilityList = z
  .string()
  .regex(/^(~?CAP_[A-Z_]+( CAP_[A-Z_]+)*)?$/, "must be space-separated CAP_* names, or empty");
export const hardeningSchema = z.strictObject({
  /** strict (default): everything below; baseline: a softer set for legacy software; none. */
  profile: z.enum(["strict", "baseline", "none"]).default("strict"),
  NoNewPrivileges: boolDirective.optional(),
  ProtectSystem: z.union([z.boolean(), z.enum(["full", "strict"])]).optional(),
  ProtectHome: z.union([z.boolean(), z.enum(["read-only", "tmpfs"])]).optional(),
  PrivateTmp: boolDirective.optional(),
  PrivateDevices: boolDirective.optional(),
  PrivateNetwork: boolDirective.optional(),
  PrivateUsers: boolDirective.optional(),
  ProtectKernelTunables: boolDirective.optional(),
  ProtectKernelModules: boolDirective.optional(),
  ProtectKernelLogs: boolDirective.optional(),
  ProtectControlGroups: boolDirective.optional(),
  ProtectClock: boolDirective.optional(),
  ProtectHostname: boolDirective.optional(),
  ProtectProc: z.union([z.literal(false), z.enum(["invisible", "ptraceable", "noaccess"])]).optional(),
  ProcSubset: z.union([z.literal(false), z.enum(["pid", "all"])]).optional(),
  RestrictNamespaces: boolDirective.optional(),
  RestrictSUIDSGID: boolDirective.optional(),
  RestrictRealtime: boolDirective.optional(),
  LockPersonality: boolDirective.optional(),
  MemoryDenyWriteExecute: boolDirective.optional(),
  RemoveIPC: boolDirective.optional(),
  RestrictAddressFamilies: z
    .union([
      z.literal(false),
      z.string().regex(/^~?(AF_[A-Z0-9]+)( AF_[A-Z0-9]+)*$/, "must be space-separated AF_* names"),
    ])
    .optional(),
  CapabilityBoundingSet: z.union([z.literal(false), capabilityList]).optional(),
  AmbientCapabilities: z.union([z.literal(false), capabilityList]).optional(),
  SystemCallArchitectures: z.union([z.literal(false), z.literal("native")]).optional(),
  SystemCallFilter: z
    .union([
      z.literal(false),
      z
        .string()
        .max(1024)
        .regex(
          /^~?@?[A-Za-z0-9_]+(:[A-Za-z0-9_]+)?( @?[A-Za-z0-9_]+(:[A-Za-z0-9_]+)?)*$/,
          "must be syscall names or @groups",
        ),
    ])
    .optional(),
  UMask: z
    .union([z.literal(false), z.string().regex(/^0[0-7]{3}$/, "must be an octal mask like 0077")])
    .optional(),
  DevicePolicy: z.union([z.literal(false), z.enum(["auto", "closed", "strict"])]).optional(),
  IPAddressDeny: z
    .union([z.literal(false), z.enum(["any", "localhost", "link-local", "multicast"])])
    .optional(),
  /** Writable paths under ProtectSystem=strict. */
  ReadWritePaths: z.array(absolutePath).max(32).optional(),
  ReadOnlyPaths: z.array(absolutePath).max(32).optional(),
  /** Created under /var/lib and owned by the (dynamic) user: the usual home for state. */
  StateDirectory: z.union([z.literal(false), name("StateDirectory")]).optional(),
});
export type Hardening = z.output<typeof hardeningSchema>;
export type HardeningDirective = Exclude<keyof Hardening, "profile">;

export const resourcesSchema = z.strictObject({
  cpuQuota: z
    .string()
    .regex(/^[1-9][0-9]{0,4}%$/, 'must be a percentage such as "50%" (100% is one CPU)')
    .optional(),
  memoryMax: z
    .union([
      z.string().regex(/^([1-9][0-9]{0,12}[KMGT]?|infinity)$/, 'must be bytes or like "256M", "1G"'),
      z.number().int().min(1),
    ])
    .transform((v) => String(v))
    .optional(),
  tasksMax: z.union([z.number().int().min(1).max(4194304), z.literal("infinity")]).optional(),
});

export const systemdSpecSchema = z.strictObject({
  /** argv; exec[0] is absolute, or relative to the service directory (e.g. current/bin/app). */
  exec: z
    .array(singleLine())
    .min(1)
    .max(256)
    .superRefine((argv, ctx) => {
      const program = argv[0];
      if (program === undefined) return;
      if (!(program.startsWith("/") || program.startsWith("current/")))
        ctx.addIssue({
          code: "custom",
          path: [0],
          message: "must be an absolute path (or current/... for a file from the artifact)",
        });
      else if (program.split("/").includes(".."))
        ctx.addIssue({ code: "custom", path: [0], message: "must not contain '..'" });
      else if (/[\s%$\\"']/.test(program))
        ctx.addIssue({
          code: "custom",
          path: [0],
          message: "the program path must not contain spaces, quotes, % or $",
        });
    }),
  /** Relative paths are inside the service directory (`current` is the active release). */
  workingDirectory: z.union([absolutePath, relativePath]).optional(),
  user: z
    .union([z.literal("dynamic"), z.string().regex(USER_NAME_PATTERN, 'must be "dynamic" or a user name')])
    .refine(
      (u) => u !== "root" && u !== "nobody",
      'root and nobody are refused: use "dynamic" or a dedicated user',
    )
    .default("dynamic"),
  artifact: artifactSchema.optional(),
  restart: z
    .enum(["no", "on-failure", "always", "on-abnormal", "on-abort", "on-success"])
    .default("on-failure"),
  restartSec: z.number().int().min(0).max(3600).optional(),
  /**
   * The signal that makes the program re-read its configuration: the unit gets
   * `ExecReload=kill -s <signal> $MAINPID`, and the service can then be reloaded (capstan reload).
   */
  reloadSignal: z.enum(["HUP", "USR1", "USR2"]).optional(),
  /**
   * The environment variable the program reads its listening port from. With `domains`, it lets
   * the agent run a new release beside the old one on another loopback port and switch the route
   * without a gap (a zero-downtime deploy); without it the unit restarts in place.
   */
  portEnv: z
    .string()
    .regex(
      PORT_ENV_PATTERN,
      'must be an environment variable name like "PORT" (upper-case letters, digits and _)',
    )
    .optional(),
  resources: resourcesSchema.default({}),
  hardening: hardeningSchema.default({ profile: "strict" }),
  after: uniqueList(
    z.string().regex(UNIT_NAME_PATTERN, "must be a unit name like network-online.target"),
    "after",
  ).default([]),
  requires: uniqueList(
    z.string().regex(UNIT_NAME_PATTERN, "must be a unit name like postgresql.service"),
    "requires",
  ).default([]),
  wants: uniqueList(
    z.string().regex(UNIT_NAME_PATTERN, "must be a unit name like network-online.target"),
    "wants",
  ).default([]),
});
export type SystemdSpec = z.output<typeof systemdSpecSchema>;

export const systemdServiceSpecSchema = z.strictObject({
  systemd: systemdSpecSchema,
  ...commonServiceFields,
});
export type SystemdServiceSpec = z.output<typeof systemdServiceSpecSchema>;

/**
 * A package built by `nix build <flake>#<attribute>` and run as a hardened systemd unit: the unit
 * fields are systemd's (user, hardening, resources, restart, ordering); `exec` and
 * `workingDirectory` point into the built store path instead of an artifact.
 */
export const nixSpecSchema = systemdSpecSchema.omit({ exec: true, artifact: true }).extend({
  flake: flakeRefSchema,
  attribute: nixAttributeSchema.default("default"),
  /** argv; exec[0] is a path inside the built package, such as bin/server. */
  exec: z
    .array(singleLine())
    .min(1)
    .max(256)
    .superRefine((argv, ctx) => {
      const program = argv[0];
      if (program === undefined) return;
      const checked = relativePath.safeParse(program);
      if (!checked.success)
        ctx.addIssue({
          code: "custom",
          path: [0],
          message: `must be a path inside the built package, like bin/server (${checked.error.issues[0]?.message})`,
        });
    }),
});
export type NixSpec = z.output<typeof nixSpecSchema>;

export const nixServiceSpecSchema = z.strictObject({
  nix: nixSpecSchema,
  ...commonServiceFields,
});
export type NixServiceSpec = z.output<typeof nixServiceSpecSchema>;

/** A service is a Compose stack, a systemd service or a Nix package, told apart by its key. */
export const serviceSpecSchema = z.union([
  composeServiceSpecSchema,
  systemdServiceSpecSchema,
  nixServiceSpecSchema,
]);
export type ServiceSpec = z.output<typeof serviceSpecSchema>;

/** Every service kind; each has one runtime on the agent (apps/agent/src/runtimes). */
export const SERVICE_KINDS = ["compose", "systemd", "nix"] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

export function serviceKind(service: ServiceSpec): ServiceKind {
  if (isComposeService(service)) return "compose";
  return isNixService(service) ? "nix" : "systemd";
}

export function isComposeService(service: ServiceSpec): service is ComposeServiceSpec {
  return "compose" in service;
}
export function isSystemdService(service: ServiceSpec): service is SystemdServiceSpec {
  return "systemd" in service;
}
export function isNixService(service: ServiceSpec): service is NixServiceSpec {
  return "nix" in service;
}

export const targetsSchema = z
  .strictObject({
    hosts: uniqueList(z.string().regex(HOST_NAME_PATTERN, "must be a host name"), "hosts").optional(),
    selector: z
      .record(
        z.string().regex(LABEL_KEY_PATTERN, "label keys are lowercase letters, digits and . _ / -"),
        z.string().regex(LABEL_VALUE_PATTERN, "label values are letters, digits and . _ -"),
      )
      .optional(),
  })
  .refine((t) => (t.hosts?.length ?? 0) > 0 || Object.keys(t.selector ?? {}).length > 0, {
    message: "name at least one host in `hosts` or one label in `selector`",
  });
export type Targets = z.output<typeof targetsSchema>;

export const rolloutSchema = z.strictObject({
  /** Hosts deployed at once: a count or a percentage of the targets. */
  batchSize: z
    .union([
      z.number().int().min(1).max(10000),
      z.string().regex(/^([1-9][0-9]?|100)%$/, 'must be a count or "1%"-"100%"'),
    ])
    .default(1),
  /** On a failed health gate, switch the failed hosts back to their previous release. */
  autoRollback: z.boolean().default(true),
});
export type Rollout = z.output<typeof rolloutSchema>;

/** host or host:port as `docker login` takes it (no scheme, no path). */
export const REGISTRY_SERVER_PATTERN =
  /^(?=.{1,253}(:|$))[A-Za-z0-9]([A-Za-z0-9-]{0,62})?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62})?)*(:[1-9][0-9]{0,4})?$/;

/** Credentials for a private image registry; the password is a secret, resolved at claim time. */
export const registrySchema = z.strictObject({
  server: z
    .string()
    .regex(
      REGISTRY_SERVER_PATTERN,
      'must be a registry host, optionally with a port, like "registry.example.com:5000" (no https:// or path)',
    ),
  username: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]*$/, "must be letters, digits and . _ @ + -"),
  /** The name of a secret of this workflow holding the password or token. */
  password: secretName,
});
export type Registry = z.output<typeof registrySchema>;
/** A string checked by a function that names the problem (or returns null). */
const checkedString = (problem: (value: string) => string | null) =>
  z.string().superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: "custom", message });
  });

/** Where the project files come from (docs/user/workflow-format.md, "Deploy from a repository"). */
export const gitSourceSchema = z.strictObject({
  url: checkedString(gitUrlProblem),
  /** A branch, a tag or a full commit id; resolved to a commit at deploy time. */
  ref: checkedString(gitRefProblem).default("main"),
  /** The project's folder inside the repository; its contents become the bundle's root. */
  path: relativePath.optional(),
  /** A declared secret holding a token (HTTPS) or an OpenSSH private key. */
  credentials: secretName.optional(),
});
export type GitSource = z.output<typeof gitSourceSchema>;
/** Where a revision's project files come from. An uploaded folder needs no `source`: the revision carries it. */
export const sourceSchema = z.strictObject({ git: gitSourceSchema });
export type WorkflowSource = z.output<typeof sourceSchema>;

export const workflowSpecSchema = z.strictObject({
  name: name("the workflow name"),
  description: singleLine(500).optional(),
  targets: targetsSchema,
  rollout: rolloutSchema.default({ batchSize: 1, autoRollback: true }),
  /** Names of secrets whose values are set in the dashboard or API, never in this file. */
  secrets: uniqueList(secretName, "secrets").default([]),
  /** Private registries the hosts log in to (per deploy) before pulling images. */
  registries: z
    .array(registrySchema)
    .max(16)
    .refine(
      (list) => new Set(list.map((r) => r.server)).size === list.length,
      "each registry server may appear once",
    )
    .optional(),
  /** The project files' origin; Compose `file`s are then paths into them. */
  source: sourceSchema.optional(),
  /** How the ingress gets certificates for this workflow's domains (ACME by default). */
  tls: tlsSchema.optional(),
  services: z
    .record(name("service names"), serviceSpecSchema)
    .refine((s) => Object.keys(s).length > 0, "define at least one service")
    .refine((s) => Object.keys(s).length <= 64, "at most 64 services"),
});
/** The normalised spec (defaults applied); what revisions store and jobs carry. */
export type WorkflowSpec = z.output<typeof workflowSpecSchema>;
/** What a person writes. */
export type WorkflowSpecInput = z.input<typeof workflowSpecSchema>;

/** Unit name and Compose project name for a service; both patterns keep it path-safe. */
export function serviceUnitName(workflow: string, service: string): string {
  return `capstan-${workflow}-${service}.service`;
}
export function composeProjectName(workflow: string, service: string): string {
  return `capstan-${workflow}-${service}`;
}

/**
 * Unit and project names join workflow and service with "-", so workflow "a-b" with service "c"
 * and workflow "a" with service "b-c" would share `capstan-a-b-c`. Returns the other service that
 * already owns the name `workflow`/`service` would use, if any.
 */
export function findNameClash<T extends { workflow: string; service: string }>(
  others: readonly T[],
  workflow: string,
  service: string,
): T | undefined {
  const name = composeProjectName(workflow, service);
  return others.find(
    (o) =>
      (o.workflow !== workflow || o.service !== service) &&
      composeProjectName(o.workflow, o.service) === name,
  );
}
