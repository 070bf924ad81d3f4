import { approveDeployment } from "@capstan/core/approvals/approve-deployment";
import { rejectDeployment } from "@capstan/core/approvals/reject-deployment";
import { cancelDeployment } from "@capstan/core/deployments/cancel-deployment";
import { deploy } from "@capstan/core/deployments/deploy";
import { getDeployment } from "@capstan/core/deployments/get-deployment";
import { getLiveWhere } from "@capstan/core/deployments/get-live-where";
import { listDeployableRevisions } from "@capstan/core/deployments/list-deployable-revisions";
import { DEPLOYMENT_STATUSES, listDeployments } from "@capstan/core/deployments/list-deployments";
import { previewDeployment } from "@capstan/core/deployments/preview-deployment";
import { readDeploymentEvents } from "@capstan/core/deployments/read-deployment-events";
import { rollbackDeployment } from "@capstan/core/deployments/rollback-deployment";
import { hasRole } from "@capstan/core/rbac/roles";
import { auditActor, environmentCaller } from "@capstan/core/rbac/team-actor";
import { z } from "zod";
import { gitAccessOf } from "../git-access";
import { createTRPCRouter, teamProcedure } from "../init";

const id = z.string().max(64);
const deploymentId = z.object({ deploymentId: id });

export const deploymentsRouter = createTRPCRouter({
  list: teamProcedure("VIEWER")
    .input(
      z.object({
        cursor: z.string().max(100).nullish(),
        limit: z.number().int().min(1).max(100).optional(),
        statuses: z.array(z.enum(DEPLOYMENT_STATUSES)).max(6).optional(),
        workflowId: id.optional(),
        hostId: id.optional(),
      }),
    )
    .query(({ ctx, input }) => listDeployments(ctx.prisma, { ...input, teamId: ctx.actor.teamId })),
  /** Which revision is live on each host per service (behind, failed, rolled back); one workflow or host, or all. */
  liveWhere: teamProcedure("VIEWER")
    .input(z.object({ workflowId: id.optional(), hostId: id.optional() }))
    .query(({ ctx, input }) => getLiveWhere(ctx.prisma, { ...input, teamId: ctx.actor.teamId })),
  get: teamProcedure("VIEWER")
    .input(deploymentId)
    .query(({ ctx, input }) =>
      getDeployment(ctx.prisma, {
        teamId: ctx.actor.teamId,
        deploymentId: input.deploymentId,
        rollbackChecks: true,
        viewer: ctx.actor,
      }),
    ),
  /** Log lines and step events after a cursor (the live view streams the same over SSE). */
  events: teamProcedure("VIEWER")
    .input(deploymentId.extend({ cursor: z.string().max(100_000).nullish() }))
    .query(({ ctx, input }) =>
      readDeploymentEvents(ctx.prisma, {
        teamId: ctx.actor.teamId,
        role: ctx.actor.role,
        deploymentId: input.deploymentId,
        cursor: input.cursor,
      }),
    ),
  /** Workflows and their latest revisions, for choosing what to deploy. */
  deployable: teamProcedure("VIEWER").query(({ ctx }) =>
    listDeployableRevisions(ctx.prisma, { teamId: ctx.actor.teamId }),
  ),
  /** The revision's target hosts and the hosts that could be chosen instead. */
  preview: teamProcedure("VIEWER")
    .input(z.object({ revisionId: id }))
    .query(({ ctx, input }) =>
      previewDeployment(ctx.prisma, { teamId: ctx.actor.teamId, revisionId: input.revisionId }),
    ),
  /** Deploys a revision to its workflow's targets, or to `hostIds` when given (hosts outside the targets: ADMIN). */
  create: teamProcedure("DEPLOYER")
    .input(
      z.object({
        revisionId: id,
        hostIds: z.array(id).min(1).max(10_000).optional(),
        idempotencyKey: z.string().min(8).max(200).optional(),
        freezeOverride: z.boolean().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { deployment, created } = await deploy(ctx.prisma, {
        teamId: ctx.actor.teamId,
        revision: input.revisionId,
        hostIds: input.hostIds,
        allowHostsOutsideTargets: hasRole(ctx.actor.role, "ADMIN"),
        idempotencyKey: input.idempotencyKey,
        freezeOverride: input.freezeOverride,
        actor: auditActor(ctx.actor),
        caller: environmentCaller(ctx.actor),
        createdById: ctx.actor.userId,
        ...gitAccessOf(ctx),
      });
      return { id: deployment.id, status: deployment.status, created };
    }),
  cancel: teamProcedure("DEPLOYER")
    .input(deploymentId)
    .mutation(({ ctx, input }) =>
      cancelDeployment(ctx.prisma, {
        teamId: ctx.actor.teamId,
        deploymentId: input.deploymentId,
        actor: auditActor(ctx.actor),
        caller: environmentCaller(ctx.actor),
      }),
    ),
  /** A protected environment's deployment: the use case checks the approver role and who asked. */
  approve: teamProcedure("DEPLOYER")
    .input(deploymentId)
    .mutation(({ ctx, input }) => approveDeployment(ctx.prisma, ctx.actor, input.deploymentId)),
  reject: teamProcedure("DEPLOYER")
    .input(deploymentId)
    .mutation(({ ctx, input }) => rejectDeployment(ctx.prisma, ctx.actor, input.deploymentId)),
  /** Redeploys this (finished) deployment's revision to its hosts. */
  rollback: teamProcedure("DEPLOYER")
    .input(deploymentId.extend({ freezeOverride: z.boolean().optional() }))
    .mutation(async ({ ctx, input }) => {
      const { deployment } = await rollbackDeployment(ctx.prisma, {
        teamId: ctx.actor.teamId,
        deploymentId: input.deploymentId,
        actor: auditActor(ctx.actor),
        caller: environmentCaller(ctx.actor),
        createdById: ctx.actor.userId,
        freezeOverride: input.freezeOverride,
      });
      return { id: deployment.id, status: deployment.status, rollbackOfId: deployment.rollbackOfId };
    }),
});
