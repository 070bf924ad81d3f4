import { listAuditEvents } from "@capstan/core/audit/list-audit-events";
import { getInstanceSettings } from "@capstan/core/instance/get-instance-settings";
import { listInstanceTeams } from "@capstan/core/instance/list-instance-teams";
import { listInstanceUsers } from "@capstan/core/instance/list-instance-users";
import { setInstanceAdmin } from "@capstan/core/instance/set-instance-admin";
import { setInstanceSettings } from "@capstan/core/instance/set-instance-settings";
import { z } from "zod";
import { createTRPCRouter, instanceProcedure } from "../init";

// The /instance page: every procedure needs the caller to be an instance admin (instanceRbac).
export const instanceRouter = createTRPCRouter({
  teams: instanceProcedure.query(({ ctx }) => listInstanceTeams(ctx.prisma)),
  users: instanceProcedure.query(({ ctx }) => listInstanceUsers(ctx.prisma)),
  /** Instance-level audit events (no team): team deletions, instance admins, settings. */
  audit: instanceProcedure
    .input(z.object({ cursor: z.string().max(20).nullish() }).optional())
    .query(({ ctx, input }) => listAuditEvents(ctx.prisma, { teamId: null, cursor: input?.cursor })),
  settings: instanceProcedure.query(({ ctx }) => getInstanceSettings(ctx.prisma)),
  setSettings: instanceProcedure
    .input(z.object({ teamCreation: z.enum(["INSTANCE_ADMINS", "ANY_USER"]) }))
    .mutation(({ ctx, input }) => setInstanceSettings(ctx.prisma, ctx.admin, input)),
  setInstanceAdmin: instanceProcedure
    .input(z.object({ userId: z.string().max(64), instanceAdmin: z.boolean() }))
    .mutation(({ ctx, input }) => setInstanceAdmin(ctx.prisma, ctx.admin, input)),
});
