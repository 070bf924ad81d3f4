// POST /api/v1/deployments: deploy a workflow's revision (by number or the latest), or a
// capstan.yaml, which is validated and saved as a new revision first unless it deploys exactly
// what the latest revision deploys. An Idempotency-Key makes retries return the deployment the
// first request made, also when the two requests race (the key is unique per team).
import type { Deployment, PrismaClient } from "@capstan/db";
import { IDEMPOTENCY_KEY_PATTERN } from "@capstan/protocol/public-api/schemas";
import type { ApiTokenPrincipal } from "../api-tokens/authenticate-api-token";
import { deployRevision } from "../deployments/deploy-revision";
import { badRequest, conflict, forbidden, isAppError, notFound } from "../errors";
import { hasRole } from "../rbac/roles";
import type { TeamActor } from "../rbac/team-actor";
import { createWorkflow } from "../workflows/create-workflow";
import { assertValidWorkflow, invalidWorkflow } from "../workflows/invalid-workflow";
import { saveRevision } from "../workflows/save-revision";
import { findWorkflowByName } from "./find-workflow-by-name";

export interface ApiDeploymentRequest {
  workflow?: string;
  revision?: number | "latest";
  yaml?: string;
  message?: string;
  idempotencyKey?: string | null;
}

export interface ApiDeploymentResult {
  deployment: Deployment;
  /** False when an earlier request with the same Idempotency-Key made it. */
  created: boolean;
  /** True when the YAML made a new revision. */
  revisionCreated: boolean;
}

type Resolved = { id: string; number: number; contentHash: string; workflowName: string };

export async function createApiDeployment(
  prisma: PrismaClient,
  principal: ApiTokenPrincipal,
  request: ApiDeploymentRequest,
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
  // Pure and cheap; done first so a retry can be matched against what it asks for.
  const valid = request.yaml !== undefined ? assertValidWorkflow(request.yaml) : null;
  if (valid && request.workflow && request.workflow !== valid.spec.name) {
    throw invalidWorkflow([
      {
        path: ["name"],
        message: `the document is \`${valid.spec.name}\` but the request names \`${request.workflow}\``,
      },
    ]);
  }

  if (key !== null) {
    const earlier = await findByKey(prisma, principal.teamId, key);
    if (earlier) return replay(earlier, request, valid?.contentHash ?? null);
  }

  const { revision, revisionCreated } = valid
    ? await revisionForYaml(prisma, principal, request, valid)
    : { revision: await revisionByNumber(prisma, principal.teamId, request), revisionCreated: false };

  try {
    const { deployment, created } = await deployRevision(prisma, {
      teamId: principal.teamId,
      revisionId: revision.id,
      actor: principal.actor,
      apiTokenId: principal.tokenId,
      idempotencyKey: key,
    });
    return { deployment, created, revisionCreated };
  } catch (error) {
    // Two requests with one key passed the lookup together; the unique index let one through.
    if (key !== null && (error as { code?: string } | null)?.code === "P2002") {
      const earlier = await findByKey(prisma, principal.teamId, key);
      if (earlier) return replay(earlier, request, revision.contentHash);
    }
    throw error;
  }
}

async function findByKey(prisma: PrismaClient, teamId: string, key: string) {
  return prisma.deployment.findUnique({
    where: { teamId_idempotencyKey: { teamId, idempotencyKey: key } },
    include: {
      workflow: { select: { name: true } },
      revision: { select: { number: true, contentHash: true } },
    },
  });
}

/** The earlier deployment, if the retry asks for the same thing; a reused key for other work is a conflict. */
function replay(
  earlier: NonNullable<Awaited<ReturnType<typeof findByKey>>>,
  request: ApiDeploymentRequest,
  contentHash: string | null,
): ApiDeploymentResult {
  const { workflow, revision, ...deployment } = earlier;
  const same =
    (!request.workflow || request.workflow === workflow.name) &&
    (contentHash !== null
      ? contentHash === revision.contentHash
      : request.revision === undefined ||
        request.revision === "latest" ||
        request.revision === revision.number);
  if (!same)
    throw conflict(
      "This Idempotency-Key was already used for a different deployment request; use a new key for new work.",
      { deploymentId: deployment.id },
    );
  return { deployment, created: false, revisionCreated: false };
}

async function revisionByNumber(
  prisma: PrismaClient,
  teamId: string,
  request: ApiDeploymentRequest,
): Promise<Resolved> {
  const workflow = await findWorkflowByName(prisma, { teamId, name: request.workflow! });
  const number = request.revision ?? "latest";
  const row = await prisma.revision.findFirst({
    where: { workflowId: workflow.id, ...(number === "latest" ? {} : { number }) },
    orderBy: { number: "desc" },
    select: { id: true, number: true, contentHash: true },
  });
  if (!row) throw notFound("Revision");
  return { ...row, workflowName: workflow.name };
}

async function revisionForYaml(
  prisma: PrismaClient,
  principal: ApiTokenPrincipal,
  request: ApiDeploymentRequest,
  valid: ReturnType<typeof assertValidWorkflow>,
): Promise<{ revision: Resolved; revisionCreated: boolean }> {
  const name = valid.spec.name;
  for (let attempt = 0; ; attempt++) {
    const workflow = await prisma.workflow.findUnique({
      where: { teamId_name: { teamId: principal.teamId, name } },
      select: { id: true },
    });
    if (workflow) {
      const latest = await prisma.revision.findFirst({
        where: { workflowId: workflow.id },
        orderBy: { number: "desc" },
        select: { id: true, number: true, contentHash: true },
      });
      if (latest && latest.contentHash === valid.contentHash)
        return { revision: { ...latest, workflowName: name }, revisionCreated: false };
      const actor = await tokenActor(prisma, principal, "save a new revision of the workflow");
      const saved = await saveRevision(prisma, actor, {
        workflowId: workflow.id,
        source: request.yaml!,
        message: request.message ?? null,
      });
      return { revision: { ...saved.revision, workflowName: name }, revisionCreated: saved.created };
    }
    const actor = await tokenActor(prisma, principal, "create the workflow");
    try {
      const created = await createWorkflow(prisma, actor, {
        source: request.yaml!,
        message: request.message ?? null,
      });
      return { revision: { ...created.revision, workflowName: name }, revisionCreated: true };
    } catch (error) {
      // Another request created it a moment ago: take the path for an existing workflow.
      if (attempt === 0 && isAppError(error) && error.code === "CONFLICT") continue;
      throw error;
    }
  }
}

/** Changing workflows is ADMIN work, as in the dashboard; the token's creator is the revision's author. */
async function tokenActor(
  prisma: PrismaClient,
  principal: ApiTokenPrincipal,
  what: string,
): Promise<TeamActor> {
  if (!hasRole(principal.role, "ADMIN"))
    throw forbidden(
      `This YAML differs from the latest revision; to ${what} the token needs the ADMIN role (it is ${principal.role}). Deploy an existing revision, or save the change in the dashboard first.`,
    );
  const token = await prisma.apiToken.findUnique({
    where: { id: principal.tokenId },
    select: { createdById: true },
  });
  if (!token?.createdById)
    throw forbidden("This token has no creator on record; create a new token to change workflows.");
  return {
    teamId: principal.teamId,
    userId: token.createdById,
    email: principal.name,
    role: principal.role,
    apiToken: { id: principal.tokenId, name: principal.name },
  };
}
