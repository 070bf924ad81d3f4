import type { Db } from "@capstan/core/db";
import { approveHost } from "@capstan/core/hosts/approve-host";
import { getHost } from "@capstan/core/hosts/get-host";
import { getHostHousekeeping } from "@capstan/core/hosts/get-host-housekeeping";
import { getHostStatsHistory, MAX_STATS_HOURS } from "@capstan/core/hosts/get-host-stats-history";
import { listHostAlerts } from "@capstan/core/hosts/list-host-alerts";
import { listHosts } from "@capstan/core/hosts/list-hosts";
import { requestHostPrune } from "@capstan/core/hosts/request-host-prune";
import { revokeHost } from "@capstan/core/hosts/revoke-host";
import { updateHost, updateHostInputSchema } from "@capstan/core/hosts/update-host";
import { getHostHealthHistory } from "@capstan/core/overview/get-host-health-history";
import { listHostPage } from "@capstan/core/overview/list-host-page";
import { auditActor, type TeamActor } from "@capstan/core/rbac/team-actor";
import { listHostServices } from "@capstan/core/services/list-host-services";
import { type RunServiceActionInput, runServiceAction } from "@capstan/core/services/run-service-action";
import { nameSchema, oneOffCommandSchema } from "@capstan/protocol";
import { z } from "zod";
import { createTRPCRouter, teamProcedure } from "../init";

const hostId = z.object({ hostId: z.string().max(64) });

/** Queues a host action as the signed-in member (or token); the roles are checked in core. */
async function queue(
  ctx: { prisma: Db; actor: TeamActor },
  order: Omit<RunServiceActionInput, "teamId" | "role" | "userId" | "actor">,
) {
  const { deployment, jobId } = await runServiceAction(ctx.prisma, {
    ...order,
    teamId: ctx.actor.teamId,
    role: ctx.actor.role,
    userId: ctx.actor.userId,
    actor: auditActor(ctx.actor),
    createdById: ctx.actor.apiToken ? null : ctx.actor.userId,
    apiTokenId: ctx.actor.apiToken?.id ?? null,
  });
  return { deploymentId: deployment.id, jobId };
}

export const hostsRouter = createTRPCRouter({
  list: teamProcedure("VIEWER")
    .input(z.object({ status: z.enum(["PENDING", "ONLINE", "OFFLINE", "REVOKED"]).optional() }))
    .query(({ ctx, input }) => listHosts(ctx.prisma, { teamId: ctx.actor.teamId, status: input.status })),
  /** The dashboard's paginated list (by name), with service counts; `search` is a name or key=value. */
  page: teamProcedure("VIEWER")
    .input(
      z.object({
        cursor: z.string().max(64).nullish(),
        limit: z.number().int().min(1).max(100).optional(),
        status: z.enum(["PENDING", "ONLINE", "OFFLINE", "REVOKED"]).optional(),
        search: z.string().max(200).optional(),
      }),
    )
    .query(({ ctx, input }) => listHostPage(ctx.prisma, { ...input, teamId: ctx.actor.teamId })),
  /** Health transitions of the host's services over the last `hours`. */
  healthHistory: teamProcedure("VIEWER")
    .input(hostId.extend({ hours: z.number().int().min(1).max(720).optional() }))
    .query(({ ctx, input }) =>
      getHostHealthHistory(ctx.prisma, {
        teamId: ctx.actor.teamId,
        hostId: input.hostId,
        hours: input.hours,
      }),
    ),
  /** CPU and memory of the host's services over the last `hours` (the ring keeps 24 h). */
  statsHistory: teamProcedure("VIEWER")
    .input(hostId.extend({ hours: z.number().int().min(1).max(MAX_STATS_HOURS).optional() }))
    .query(({ ctx, input }) =>
      getHostStatsHistory(ctx.prisma, { teamId: ctx.actor.teamId, hostId: input.hostId, hours: input.hours }),
    ),
  get: teamProcedure("VIEWER")
    .input(hostId)
    .query(({ ctx, input }) => getHost(ctx.prisma, { teamId: ctx.actor.teamId, hostId: input.hostId })),
  /** Lets a host enrolled under "approve new hosts" claim jobs. */
  approve: teamProcedure("ADMIN")
    .input(hostId)
    .mutation(({ ctx, input }) =>
      approveHost(ctx.prisma, {
        teamId: ctx.actor.teamId,
        hostId: input.hostId,
        actor: auditActor(ctx.actor),
      }),
    ),
  revoke: teamProcedure("ADMIN")
    .input(hostId)
    .mutation(({ ctx, input }) =>
      revokeHost(ctx.prisma, {
        teamId: ctx.actor.teamId,
        hostId: input.hostId,
        actor: auditActor(ctx.actor),
      }),
    ),
  /** The services the host runs, with whether each can be reloaded. */
  services: teamProcedure("VIEWER")
    .input(hostId)
    .query(({ ctx, input }) =>
      listHostServices(ctx.prisma, { teamId: ctx.actor.teamId, hostId: input.hostId }),
    ),
  /** Start, stop, restart or reload one deployed service on this host: a job on the normal pull path. */
  serviceAction: teamProcedure("DEPLOYER")
    .input(
      hostId.extend({
        workflow: nameSchema,
        service: nameSchema,
        action: z.enum(["start", "stop", "restart", "reload"]),
      }),
    )
    .mutation(({ ctx, input }) => queue(ctx, input)),
  /** Removes a workflow's services from this host; deleting volumes is ADMIN's, with the typed name. */
  undeploy: teamProcedure("DEPLOYER")
    .input(
      hostId.extend({
        workflow: nameSchema,
        removeVolumes: z.boolean().default(false),
        confirm: z.string().max(200).optional(),
      }),
    )
    .mutation(({ ctx, input }) => queue(ctx, { ...input, action: "undeploy" })),
  /** A one-off command in a service's context (ADMIN); its output is the deployment's log. */
  runCommand: teamProcedure("ADMIN")
    .input(hostId.extend({ workflow: nameSchema, service: nameSchema, command: oneOffCommandSchema }))
    .mutation(({ ctx, input }) => queue(ctx, { ...input, action: "run" })),
  /** Disk, memory and Docker disk use, the pending or last image prune, open alerts. */
  housekeeping: teamProcedure("VIEWER")
    .input(hostId)
    .query(({ ctx, input }) =>
      getHostHousekeeping(ctx.prisma, { teamId: ctx.actor.teamId, hostId: input.hostId }),
    ),
  /** The team's open host alerts (disk, memory, restart loop), for the overview. */
  alerts: teamProcedure("VIEWER").query(({ ctx }) =>
    listHostAlerts(ctx.prisma, { teamId: ctx.actor.teamId }),
  ),
  /** Prune images no kept release references, now: an order on the host's next heartbeat answer. */
  prune: teamProcedure("DEPLOYER")
    .input(hostId)
    .mutation(({ ctx, input }) =>
      requestHostPrune(ctx.prisma, {
        teamId: ctx.actor.teamId,
        hostId: input.hostId,
        actor: auditActor(ctx.actor),
      }),
    ),
  /** Replaces labels and/or policy. */
  update: teamProcedure("ADMIN")
    .input(hostId.extend(updateHostInputSchema.shape))
    .mutation(({ ctx, input }) =>
      updateHost(ctx.prisma, {
        teamId: ctx.actor.teamId,
        hostId: input.hostId,
        actor: auditActor(ctx.actor),
        input: { labels: input.labels, policy: input.policy },
      }),
    ),
});
