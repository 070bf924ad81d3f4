// The one deploy use case, for the dashboard, the public API and rollbacks: everything is read
// once (an earlier deployment with the same idempotency key, the revision with its parsed spec,
// the hosts), planned by the pure planDeployment, and written by insertDeployment. Role checks
// stay in the transports; they say here only whether hosts outside the targets may be chosen
// (ADMIN work: a DEPLOYER ships what the workflow's targets say, not to hosts of its choosing),
// and the caller's per-environment roles are checked here, on the hosts the plan will touch.
import type { Deployment, Prisma } from "@capstan/db";
import type { WorkflowSpec } from "@capstan/templates";
import { findRequiredApproval } from "../approvals/find-required-approval";
import type { Actor } from "../audit/record-audit-event";
import { readLabels } from "../columns/labels";
import { requireRevisionSpec } from "../columns/revision-spec";
import type { Db } from "../db";
import { requireDeployWindow } from "../environments/require-deploy-window";
import { type EnvironmentCaller, requireEnvironmentRole } from "../environments/require-environment-role";
import { badRequest, conflict, forbidden, notFound } from "../errors";
import { isUuid } from "../ids";
import type { SecretResolver } from "../jobs/claim-job";
import { assertDeployHostPolicies } from "./assert-deploy-host-policies";
import { insertDeployment } from "./insert-deployment";
import { payloadServices, planDeployment } from "./plan-deployment";
import { resolveDeploymentBundle, type ShippedBundle } from "./resolve-deployment-bundle";
import { isTargeted, resolveTargetHosts, type TargetHost } from "./resolve-target-hosts";

/** A revision ready to plan: its workflow and its stored spec, read and validated once. */
export interface DeployableRevision {
  id: string;
  number: number;
  contentHash: string;
  workflow: { id: string; name: string; archivedAt: Date | null };
  spec: WorkflowSpec;
  /** The project files uploaded with the revision. */
  bundle: ShippedBundle | null;
}

/** What to select for toDeployableRevision. */
export const DEPLOYABLE_REVISION = {
  id: true,
  number: true,
  contentHash: true,
  spec: true,
  workflow: { select: { id: true, name: true, archivedAt: true } },
  bundle: { select: { id: true, sha256: true, size: true } },
} satisfies Prisma.RevisionSelect;

export function toDeployableRevision(
  row: Prisma.RevisionGetPayload<{ select: typeof DEPLOYABLE_REVISION }>,
): DeployableRevision {
  return { ...row, spec: requireRevisionSpec(row.spec) };
}

/** An earlier deployment made with the same idempotency key. */
export interface EarlierDeployment {
  deployment: Deployment;
  jobIds: string[];
  workflowName: string;
  revision: { number: number; contentHash: string };
}

export interface DeployInput {
  teamId: string;
  /** A revision id of the team, or a function that finds (or saves) the revision to deploy. */
  revision: string | (() => Promise<DeployableRevision>);
  /** Hosts chosen instead of the workflow's targets. */
  hostIds?: string[];
  /** May `hostIds` name hosts the workflow does not target (the transport decides by role)? */
  allowHostsOutsideTargets?: boolean;
  actor: Actor;
  /** Whose per-environment roles apply (null: the control plane itself, e.g. a push hook). */
  caller: EnvironmentCaller | null;
  createdById?: string | null;
  apiTokenId?: string | null;
  idempotencyKey?: string | null;
  rollbackOfId?: string | null;
  queueTimeoutSeconds?: number;
  /** Git sources: deploy this commit instead of what the ref points at now (push hooks, pins). */
  commit?: string;
  /** A rollback ships exactly the project files that deployment shipped; nothing is fetched. */
  sameBundleAs?: { bundleId: string | null; source: unknown };
  /** Decrypts a Git source's credentials secret. */
  resolveSecrets?: SecretResolver;
  /** May a Git source's URL name a loopback or private address? */
  allowPrivateGit?: boolean;
  signal?: AbortSignal;
  /** Deploy through a freeze window (ADMIN on every frozen environment; audited). */
  freezeOverride?: boolean;
  /** Checks that a retry asks for what the earlier request did; throws to refuse it. */
  onReplay?: (earlier: EarlierDeployment) => void | Promise<void>;
}

/** What a deploy needs to fetch a Git source: its credentials and the outbound address rule. */
export type GitAccess = Pick<DeployInput, "resolveSecrets" | "allowPrivateGit">;

export interface DeployResult {
  deployment: Deployment;
  jobIds: string[];
  /** False when an earlier request with the same idempotency key already created it. */
  created: boolean;
}

export async function deploy(db: Db, input: DeployInput): Promise<DeployResult> {
  if (input.hostIds?.length === 0)
    throw badRequest("Choose at least one host, or deploy to the workflow's targets.");
  const key = input.idempotencyKey ?? null;
  if (key !== null) {
    const earlier = await findByKey(db, input.teamId, key);
    if (earlier) return await replay(earlier, input);
  }
  const revision =
    typeof input.revision === "string"
      ? await findDeployableRevision(db, input.teamId, input.revision)
      : await input.revision();
  if (revision.workflow.archivedAt) throw conflict("This workflow is archived; restore it before deploying.");
  const hosts = await deploymentHosts(db, input.teamId, revision, input.hostIds);
  if (!input.allowHostsOutsideTargets) {
    const outside = hosts.filter((h) => !isTargeted(revision.spec.targets, h)).map((h) => h.name);
    if (outside.length > 0)
      throw forbidden(
        `Deploying ${revision.workflow.name} to hosts its targets do not select needs the ADMIN role: ${outside.sort().join(", ")}. Deploy to the workflow's targets, or ask an admin.`,
      );
  }
  // Before the bundle: a refusal here must not first fetch from Git and store what it fetched.
  await requireEnvironmentRole(db, {
    teamId: input.teamId,
    caller: input.caller,
    hostIds: hosts.map((h) => h.id),
    minRole: "DEPLOYER",
    doing: `deploy ${revision.workflow.name}`,
  });
  const freezeOverride = await requireDeployWindow(db, {
    teamId: input.teamId,
    hosts,
    caller: input.caller,
    override: input.freezeOverride,
    doing: `deploy ${revision.workflow.name}`,
    now: new Date(),
  });
  await assertDeployHostPolicies(db, {
    workflow: revision.workflow.name,
    services: payloadServices(revision.spec),
    hostIds: hosts.map((h) => h.id),
  });
  const shipped = await resolveDeploymentBundle(db, {
    teamId: input.teamId,
    workflow: revision.workflow,
    spec: revision.spec,
    revisionBundle: revision.bundle,
    hostIds: hosts.map((h) => h.id),
    commit: input.commit,
    sameAs: input.sameBundleAs,
    resolveSecrets: input.resolveSecrets,
    allowPrivateGit: input.allowPrivateGit,
    actor: input.actor,
    userId: input.createdById,
    signal: input.signal,
  });
  const plan = planDeployment(
    {
      workflow: { id: revision.workflow.id, name: revision.workflow.name },
      revision: { id: revision.id, number: revision.number, hash: revision.contentHash },
      spec: revision.spec,
      rollback: Boolean(input.rollbackOfId),
      bundle: shipped.bundle,
      queueTimeoutSeconds: input.queueTimeoutSeconds,
    },
    hosts,
    new Date(),
  );
  const approval = await findRequiredApproval(db, { teamId: input.teamId, hostIds: hosts.map((h) => h.id) });
  try {
    const deployment = await insertDeployment(
      db,
      {
        ...input,
        workflow: revision.workflow,
        revision: { id: revision.id, number: revision.number },
        bundleId: shipped.bundle?.id ?? null,
        source: shipped.source,
        approval,
        freezeOverride,
      },
      plan,
    );
    return { deployment, jobIds: plan.jobs.map((j) => j.id), created: true };
  } catch (error) {
    // Two requests with one key passed the lookup together; the unique index let one through.
    if (key !== null && (error as { code?: string } | null)?.code === "P2002") {
      const earlier = await findByKey(db, input.teamId, key);
      if (earlier) return await replay(earlier, input);
    }
    throw error;
  }
}

async function findDeployableRevision(
  db: Db,
  teamId: string,
  revisionId: string,
): Promise<DeployableRevision> {
  if (!isUuid(revisionId)) throw notFound("Revision");
  const row = await db.revision.findFirst({
    where: { id: revisionId, workflow: { teamId } },
    select: DEPLOYABLE_REVISION,
  });
  if (!row) throw notFound("Revision");
  return toDeployableRevision(row);
}

/** The chosen hosts (all of the team's, or "not found"), else the hosts the workflow targets. */
async function deploymentHosts(
  db: Db,
  teamId: string,
  revision: DeployableRevision,
  hostIds: string[] | undefined,
): Promise<TargetHost[]> {
  if (!hostIds) return resolveTargetHosts(db, { teamId, targets: revision.spec.targets });
  const ids = [...new Set(hostIds)];
  if (!ids.every(isUuid)) throw notFound("Host");
  const hosts = await db.host.findMany({
    where: { id: { in: ids }, teamId },
    select: { id: true, name: true, status: true, labels: true },
  });
  if (hosts.length !== ids.length) throw notFound("Host");
  return hosts.map((h) => ({ ...h, labels: readLabels(h.labels) }));
}

async function findByKey(db: Db, teamId: string, key: string): Promise<EarlierDeployment | null> {
  const row = await db.deployment.findUnique({
    where: { teamId_idempotencyKey: { teamId, idempotencyKey: key } },
    include: {
      workflow: { select: { name: true } },
      revision: { select: { number: true, contentHash: true } },
      jobs: { select: { id: true } },
    },
  });
  if (!row) return null;
  const { workflow, revision, jobs, ...deployment } = row;
  return { deployment, jobIds: jobs.map((j) => j.id), workflowName: workflow.name, revision };
}

async function replay(earlier: EarlierDeployment, input: DeployInput): Promise<DeployResult> {
  await input.onReplay?.(earlier);
  return { deployment: earlier.deployment, jobIds: earlier.jobIds, created: false };
}
