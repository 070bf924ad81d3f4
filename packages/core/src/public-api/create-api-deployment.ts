// POST /api/v1/deployments: deploy a workflow's revision (by number or the latest), or a
// capstan.yaml, which is validated and saved as a new revision first unless it deploys exactly
// what the latest revision deploys. An Idempotency-Key makes retries return the deployment the
// first request made, also when the two requests race (the key is unique per team).
import type { Deployment } from "@capstan/db";
import { IDEMPOTENCY_KEY_PATTERN } from "@capstan/protocol/public-api/schemas";
import type { ApiTokenPrincipal } from "../api-tokens/authenticate-api-token";
import { tokenCaller, tokenTeamActor } from "../api-tokens/token-team-actor";
import { findTeamBundle } from "../bundles/find-team-bundle";
import type { Db } from "../db";
import {
  DEPLOYABLE_REVISION,
  type DeployableRevision,
  deploy,
  type EarlierDeployment,
  type GitAccess,
  toDeployableRevision,
} from "../deployments/deploy";
import { badRequest, conflict, forbidden, isAppError, notFound } from "../errors";
import { hasRole } from "../rbac/roles";
import type { TeamActor } from "../rbac/team-actor";
import { createWorkflow } from "../workflows/create-workflow";
import { invalidWorkflow } from "../workflows/invalid-workflow";
import { saveRevision } from "../workflows/save-revision";
import { assertValidRevision, type RevisionBundle } from "../workflows/validate-revision";
import { findWorkflowByName } from "./find-workflow-by-name";

export interface ApiDeploymentRequest {
  workflow?: string;
  revision?: number | "latest";
  yaml?: string;
  message?: string;
  /** sha256 of a bundle uploaded with POST /api/v1/bundles: the project files the `yaml` deploys. */
  bundle?: string;
  idempotencyKey?: string | null;
  /** Deploy through a freeze window (ADMIN on every frozen environment; audited). */
  freezeOverride?: boolean;
}

export interface ApiDeploymentResult {
  deployment: Deployment;
  /** False when an earlier request with the same Idempotency-Key made it. */
  created: boolean;
  /** True when the YAML made a new revision. */
  revisionCreated: boolean;
}

type ValidWorkflow = ReturnType<typeof assertValidRevision>;

export async function createApiDeployment(
  db: Db,
  principal: ApiTokenPrincipal,
  request: ApiDeploymentRequest,
  git: GitAccess = {},
): Promise<ApiDeploymentResult> {
  if (!hasRole(principal.role, "DEPLOYER"))
    throw forbidden(`Deploying needs the DEPLOYER role or higher; this token is ${principal.role}.`);
  const key = request.idempotencyKey ?? null;
  if (key !== null && !IDEMPOTENCY_KEY_PATTERN.test(key))
    throw badRequest("Idempotency-Key must be 8-200 letters, digits or . _ : / + = - (a UUID works).");
  if (request.yaml === undefined && !request.workflow)
    throw badRequest("Name the `workflow` to deploy (and a `revision`), or send its capstan.yaml as `yaml`.");
  if (request.yaml !== undefined && request.revision !== undefined)
    throw badRequest("Send either `yaml` or `revision`, not both: the YAML decides the revision.");
  if (request.bundle !== undefined && request.yaml === undefined)
    throw badRequest("A `bundle` is deployed with the capstan.yaml it belongs to: send it as `yaml`.");
  const bundle =
    request.bundle !== undefined ? await findTeamBundle(db, principal.teamId, request.bundle) : null;
  // Done first so a retry can be matched against what it asks for.
  const valid = request.yaml !== undefined ? assertValidRevision(request.yaml, bundle) : null;
  if (valid && request.workflow && request.workflow !== valid.spec.name) {
    throw invalidWorkflow([
      {
        path: ["name"],
        message: `the document is \`${valid.spec.name}\` but the request names \`${request.workflow}\``,
      },
    ]);
  }

  let revisionCreated = false;
  const { deployment, created } = await deploy(db, {
    teamId: principal.teamId,
    actor: principal.actor,
    caller: tokenCaller(principal),
    apiTokenId: principal.tokenId,
    idempotencyKey: key,
    freezeOverride: request.freezeOverride,
    // Only called when no earlier deployment has the key, so a retry never saves a revision.
    revision: async () => {
      if (!valid) return revisionByNumber(db, principal.teamId, request);
      const resolved = await revisionForYaml(db, principal, request, valid, bundle);
      revisionCreated = resolved.revisionCreated;
      return resolved.revision;
    },
    ...git,
    onReplay: (earlier) => checkReplay(db, earlier, request, valid?.contentHash ?? null),
  });
  return { deployment, created, revisionCreated: created && revisionCreated };
}

/**
 * A retry must ask for what the first request did: the same workflow and a request that resolves
 * to the same revision now (`latest` that has moved on does not), or the same YAML. A reused key
 * for other work is a conflict, whichever way either request named its revision.
 */
async function checkReplay(
  db: Db,
  earlier: EarlierDeployment,
  request: ApiDeploymentRequest,
  contentHash: string | null,
): Promise<void> {
  const sameWorkflow = !request.workflow || request.workflow === earlier.workflowName;
  const sameRevision =
    contentHash !== null
      ? contentHash === earlier.revision.contentHash
      : (await requestedNumber(db, earlier, request.revision)) === earlier.revision.number;
  if (!sameWorkflow || !sameRevision)
    throw conflict(
      "This Idempotency-Key was already used for a deployment of another revision; use a new key for new work.",
      { deploymentId: earlier.deployment.id },
    );
}

/** The revision number a by-number request resolves to in the earlier deployment's workflow. */
async function requestedNumber(
  db: Db,
  earlier: EarlierDeployment,
  revision: ApiDeploymentRequest["revision"],
): Promise<number | null> {
  if (typeof revision === "number") return revision;
  const latest = await db.revision.findFirst({
    where: { workflowId: earlier.deployment.workflowId },
    orderBy: { number: "desc" },
    select: { number: true },
  });
  return latest?.number ?? null;
}

async function revisionByNumber(
  db: Db,
  teamId: string,
  request: ApiDeploymentRequest,
): Promise<DeployableRevision> {
  const workflow = await findWorkflowByName(db, { teamId, name: request.workflow! });
  const number = request.revision ?? "latest";
  const row = await db.revision.findFirst({
    where: { workflowId: workflow.id, ...(number === "latest" ? {} : { number }) },
    orderBy: { number: "desc" },
    select: DEPLOYABLE_REVISION,
  });
  if (!row) throw notFound("Revision");
  return toDeployableRevision(row);
}

/** The latest revision when it deploys exactly this YAML, else a new revision (or workflow) saved from it. */
async function revisionForYaml(
  db: Db,
  principal: ApiTokenPrincipal,
  request: ApiDeploymentRequest,
  valid: ValidWorkflow,
  bundle: RevisionBundle | null,
): Promise<{ revision: DeployableRevision; revisionCreated: boolean }> {
  const name = valid.spec.name;
  // The YAML was validated above: its spec is what the matching or new revision stores.
  const deployable = (
    revision: { id: string; number: number; contentHash: string },
    workflow: DeployableRevision["workflow"],
  ) => ({
    id: revision.id,
    number: revision.number,
    contentHash: revision.contentHash,
    workflow,
    spec: valid.spec,
    bundle: bundle && { id: bundle.id, sha256: bundle.sha256, size: bundle.data.byteLength },
  });
  for (let attempt = 0; ; attempt++) {
    const workflow = await db.workflow.findUnique({
      where: { teamId_name: { teamId: principal.teamId, name } },
      select: { id: true, name: true, archivedAt: true },
    });
    if (workflow) {
      const latest = await db.revision.findFirst({
        where: { workflowId: workflow.id },
        orderBy: { number: "desc" },
        select: { id: true, number: true, contentHash: true },
      });
      if (latest && latest.contentHash === valid.contentHash)
        return { revision: deployable(latest, workflow), revisionCreated: false };
      const actor = tokenActor(principal, "save a new revision of the workflow");
      const saved = await saveRevision(db, actor, {
        workflowId: workflow.id,
        source: request.yaml!,
        message: request.message ?? null,
        bundle,
      });
      return { revision: deployable(saved.revision, workflow), revisionCreated: saved.created };
    }
    const actor = tokenActor(principal, "create the workflow");
    try {
      const created = await createWorkflow(db, actor, {
        source: request.yaml!,
        message: request.message ?? null,
        bundle,
      });
      return {
        revision: deployable(created.revision, { id: created.id, name, archivedAt: null }),
        revisionCreated: true,
      };
    } catch (error) {
      // Another request created it a moment ago: take the path for an existing workflow.
      if (attempt === 0 && isAppError(error) && error.code === "CONFLICT") continue;
      throw error;
    }
  }
}

/** Changing workflows is ADMIN work, as in the dashboard; the token's creator is the revision's author. */
function tokenActor(principal: ApiTokenPrincipal, what: string): TeamActor {
  if (!hasRole(principal.role, "ADMIN"))
    throw forbidden(
      `This YAML differs from the latest revision; to ${what} the token needs the ADMIN role (it is ${principal.role}). Deploy an existing revision, or save the change in the dashboard first.`,
    );
  return tokenTeamActor(principal);
}
