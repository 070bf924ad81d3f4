// The public HTTP API's contract (/api/v1/), as zod schemas. The route handlers validate every
// request with them and pass every response through them (unknown fields are dropped, so a new
// column never leaks by accident); the OpenAPI document is generated from them; the CLI parses
// responses with them. Timestamps are ISO 8601 strings on the wire.
import { NAME_PATTERN, SERVICE_KINDS } from "@capstan/templates";
import { MAX_YAML_BYTES } from "@capstan/templates/workflow/parse-workflow-yaml";
import { z } from "zod";
import { BUNDLE_MAX_BYTES, bundleSha256Schema } from "../bundles";
import { healthStatuses, hostStatuses, jobStates, stepStates } from "../common";
import { serviceStatsSchema, unmanagedSchema } from "../inventory";

/** Longest `?wait=` a request may ask for, in seconds. */
export const MAX_WAIT_SECONDS = 300;
export const DEFAULT_WAIT_SECONDS = 30;
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:/+=-]{8,200}$/;

const timestamp = z.string().meta({ format: "date-time" });
const id = z.string().meta({ format: "uuid" });
const workflowName = z
  .string()
  .regex(NAME_PATTERN, "workflow names are lower-case letters, digits and -, up to 63 characters");

// The database's enums as the API spells them; core checks its Prisma enums against these.
export const DEPLOYMENT_STATUSES = [
  "PENDING",
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "CANCELLED",
  "UNKNOWN",
  /** A protected environment's hosts are targeted: nothing runs until another member approves. */
  "AWAITING_APPROVAL",
] as const;
export type DeploymentStatusName = (typeof DEPLOYMENT_STATUSES)[number];
/** Deployments in these states may still change. */
export const OPEN_DEPLOYMENT_STATUSES = [
  "AWAITING_APPROVAL",
  "PENDING",
  "RUNNING",
] as const satisfies readonly DeploymentStatusName[];
export const JOB_STATES = jobStates;
export const STEP_STATES = stepStates;
export const HOST_STATUSES = hostStatuses;
export const HEALTH_STATUSES = healthStatuses;
/** Team roles, weakest first (the database's Role enum). */
export const ROLES = ["VIEWER", "DEPLOYER", "ADMIN", "OWNER"] as const;
export type RoleName = (typeof ROLES)[number];

// ---------------------------------------------------------------------------------------------
// Requests

export const waitQuerySchema = z.object({
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_WAIT_SECONDS)
    .default(DEFAULT_WAIT_SECONDS)
    .meta({
      description: `Seconds to wait for the deployment to finish (0 to ${MAX_WAIT_SECONDS}; 0 answers at once).`,
    }),
});

export const createDeploymentBodySchema = z
  .object({
    workflow: workflowName.optional().meta({
      description:
        "The workflow's name. Required without `yaml`; with `yaml` it must equal the document's `name`.",
    }),
    revision: z
      .union([z.number().int().min(1), z.literal("latest")])
      .optional()
      .meta({ description: 'Revision number, or "latest" (the default). Not used with `yaml`.' }),
    yaml: z.string().min(1).max(MAX_YAML_BYTES).optional().meta({
      description:
        "A capstan.yaml to validate and deploy. A new revision is made when its content differs from the latest one (ADMIN role); unchanged content deploys the latest revision.",
    }),
    message: z.string().max(500).optional().meta({ description: "Message for a new revision." }),
    bundle: bundleSha256Schema.optional().meta({
      description:
        "With `yaml`: the sha256 of the project files uploaded with POST /api/v1/bundles. The revision carries them, and `compose.file` names a file in them.",
    }),
    freezeOverride: z.boolean().optional().meta({
      description:
        "Deploy although an environment the hosts belong to is in a freeze window. Needs the ADMIN role on every frozen environment (for a token: its role and its creator's); audited. An approval is still required where one is.",
    }),
  })
  .meta({ id: "CreateDeploymentRequest" });

export type CreateDeploymentBody = z.infer<typeof createDeploymentBodySchema>;

export const paginationQuerySchema = z.object({
  cursor: z.string().max(200).optional().meta({ description: "`nextCursor` of the previous page." }),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});

export const listDeploymentsQuerySchema = paginationQuerySchema.extend({
  status: z.enum(DEPLOYMENT_STATUSES).optional(),
  workflow: workflowName.optional().meta({ description: "Only this workflow's deployments." }),
});

export const listRevisionsQuerySchema = z.object({
  cursor: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .meta({ description: "`nextCursor` of the previous page." }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const listHostsQuerySchema = z.object({ status: z.enum(HOST_STATUSES).optional() });
export const idParamsSchema = z.object({ id: z.string().max(64) });
export const workflowParamsSchema = z.object({ name: z.string().max(64) });
export const revisionParamsSchema = workflowParamsSchema.extend({
  number: z.coerce.number().int().min(1).max(2_147_483_647),
});

// ---------------------------------------------------------------------------------------------
// Responses

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({
        description: "BAD_REQUEST, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, CONFLICT, UNPROCESSABLE, ...",
      }),
      message: z.string(),
      details: z.unknown().optional().meta({
        description:
          "For an invalid workflow, or one a target host's policy refuses at save: `{ issues: [{ path, message, line, column, text }] }` naming every problem.",
      }),
    }),
  })
  .meta({ id: "Error" });

export const deploymentStepSchema = z
  .object({
    service: z.string(),
    kind: z.enum(SERVICE_KINDS),
    position: z.number().int(),
    state: z.enum(STEP_STATES),
    message: z.string().nullable(),
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
  })
  .meta({ id: "DeploymentStep" });

export const deploymentHostSchema = z
  .object({
    jobId: id,
    host: z.object({ id, name: z.string(), status: z.enum(HOST_STATUSES) }),
    state: z.enum(JOB_STATES),
    error: z.string().nullable(),
    claimedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    steps: z.array(deploymentStepSchema),
    health: z.array(
      z.object({
        service: z.string(),
        status: z.enum(HEALTH_STATUSES),
        detail: z.string().nullable(),
        onThisRevision: z.boolean(),
      }),
    ),
  })
  .meta({ id: "DeploymentHost" });

const jobCountsSchema = z.object({
  total: z.number().int(),
  queued: z.number().int(),
  running: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
  unknown: z.number().int(),
});

export const deploymentSummarySchema = z
  .object({
    id,
    status: z.enum(DEPLOYMENT_STATUSES),
    workflow: z.object({ id, name: z.string() }),
    revision: z.object({ id, number: z.number().int(), message: z.string().nullable() }),
    rollbackOfId: id.nullable(),
    createdBy: z.string().nullable(),
    error: z.string().nullable(),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    jobs: jobCountsSchema,
    hostNames: z.array(z.string()),
  })
  .meta({ id: "DeploymentSummary" });

export const serviceActionBodySchema = z
  .object({
    workflow: workflowName,
    service: workflowName.meta({ description: "The service's name in the workflow." }),
    action: z.enum(["start", "stop", "restart", "reload"]).meta({
      description:
        "A stopped service stays stopped (reported STOPPED) until started, restarted or deployed again. `reload` only where the service defines one (a systemd or Nix unit with `reloadSignal`); otherwise 422.",
    }),
  })
  .meta({ id: "ServiceActionRequest" });

export const serviceLogsQuerySchema = z
  .object({
    workflow: workflowName,
    service: workflowName.meta({ description: "The service's name in the workflow." }),
    follow: z
      .enum(["true", "false", "1", "0"])
      .optional()
      .meta({ description: "Keep following (default true)." }),
    tail: z
      .string()
      .regex(/^\d{1,4}$/)
      .optional()
      .meta({ description: "Lines before following, 0-5000 (default 100)." }),
    since: z
      .string()
      .max(40)
      .optional()
      .meta({ description: "A duration back from now (10m, 2h, 1d) or a UTC date (2026-12-03T05:00:00Z)." }),
    grep: z
      .string()
      .max(200)
      .optional()
      .meta({ description: "Only lines containing this text (case-insensitive), matched after masking." }),
    stream: z
      .enum(["stdout", "stderr", "both"])
      .optional()
      .meta({ description: "Compose: which output (default both)." }),
    priority: z
      .string()
      .max(10)
      .optional()
      .meta({ description: "systemd/Nix: 0-7 or emerg..debug; this priority and more urgent." }),
  })
  .meta({ id: "ServiceLogsQuery" });

export const deploymentSchema = deploymentSummarySchema
  .extend({
    revision: z.object({
      id,
      number: z.number().int(),
      message: z.string().nullable(),
      contentHash: z.string(),
    }),
    final: z.boolean().meta({ description: "True once the status will not change any more." }),
    deadlineAt: timestamp,
    hosts: z.array(deploymentHostSchema).meta({ description: "Per host: the job, its steps per service." }),
  })
  .meta({ id: "Deployment" });

export type DeploymentResult = z.infer<typeof deploymentSchema>;

export const deploymentPageSchema = z
  .object({ items: z.array(deploymentSummarySchema), nextCursor: z.string().nullable() })
  .meta({ id: "DeploymentPage" });

export const hostSchema = z
  .object({
    id,
    name: z.string(),
    status: z.enum(HOST_STATUSES),
    labels: z.record(z.string(), z.string()),
    facts: z.record(z.string(), z.unknown()),
    policy: z.record(z.string(), z.unknown()),
    agentVersion: z.string().nullable(),
    lastSeenAt: timestamp.nullable(),
    enrolledAt: timestamp,
    revokedAt: timestamp.nullable(),
    keyFingerprint: z.string(),
  })
  .meta({ id: "Host" });

export const hostDetailSchema = hostSchema
  .extend({
    services: z.array(
      z.object({
        workflow: z.string(),
        service: z.string(),
        kind: z.string(),
        status: z.enum(HEALTH_STATUSES),
        detail: z.string().nullable(),
        revisionHash: z.string().nullable(),
        updatedAt: timestamp,
        /** Resource use, image or release and ports from the agent's last heartbeat. */
        stats: serviceStatsSchema.nullable().optional(),
      }),
    ),
    /** Containers and units the agent found that Capstan does not manage (read-only). */
    unmanaged: unmanagedSchema.nullable().optional(),
  })
  .meta({ id: "HostDetail" });

export const hostListSchema = z.object({ items: z.array(hostSchema) }).meta({ id: "HostList" });

const revisionRef = z.object({ id, number: z.number().int(), contentHash: z.string(), createdAt: timestamp });

export const workflowSummarySchema = z
  .object({
    id,
    name: z.string(),
    description: z.string().nullable(),
    updatedAt: timestamp,
    serviceCount: z.number().int(),
    kinds: z.array(z.enum(SERVICE_KINDS)),
    latestRevision: revisionRef.nullable(),
    lastDeployment: z.object({ id, status: z.enum(DEPLOYMENT_STATUSES), createdAt: timestamp }).nullable(),
  })
  .meta({ id: "WorkflowSummary" });

export const workflowPageSchema = z
  .object({ items: z.array(workflowSummarySchema), nextCursor: z.string().nullable() })
  .meta({ id: "WorkflowPage" });

export const revisionSummarySchema = z
  .object({
    id,
    number: z.number().int(),
    contentHash: z.string(),
    message: z.string().nullable(),
    createdAt: timestamp,
    author: z.object({ email: z.string(), name: z.string().nullable() }).nullable(),
  })
  .meta({ id: "RevisionSummary" });

export const bundleSchema = z
  .object({
    sha256: z.string().meta({ description: "Name it as `bundle` when deploying its capstan.yaml." }),
    size: z.number().int().max(BUNDLE_MAX_BYTES).meta({ description: "Bytes of the tar.gz." }),
    entries: z.number().int().meta({ description: "Files, folders and symlinks in it." }),
  })
  .meta({ id: "Bundle" });

export const revisionSchema = revisionSummarySchema
  .extend({
    workflowId: id,
    source: z.string().meta({ description: "The capstan.yaml as written." }),
    spec: z.record(z.string(), z.unknown()).meta({ description: "The validated, normalised workflow." }),
  })
  .meta({ id: "Revision" });

export const revisionPageSchema = z
  .object({ items: z.array(revisionSummarySchema), nextCursor: z.number().int().nullable() })
  .meta({ id: "RevisionPage" });

export const workflowSchema = z
  .object({
    id,
    name: z.string(),
    createdAt: timestamp,
    updatedAt: timestamp,
    revisionCount: z.number().int(),
    latestRevision: revisionSummarySchema.nullable(),
    services: z.array(
      z.object({
        name: z.string(),
        kind: z.enum(SERVICE_KINDS),
        dependsOn: z.array(z.string()),
        secrets: z.array(z.string()).meta({ description: "Secret names only; values are never returned." }),
      }),
    ),
    declaredSecrets: z.array(z.string()),
  })
  .meta({ id: "Workflow" });
