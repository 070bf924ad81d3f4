import { deleteEnvironment } from "@capstan/core/environments/delete-environment";
import { listEnvironments } from "@capstan/core/environments/list-environments";
import { saveEnvironment } from "@capstan/core/environments/save-environment";
import { setEnvironmentRole } from "@capstan/core/environments/set-environment-role";
import { z } from "zod";
import { createTRPCRouter, teamProcedure } from "../init";

const id = z.string().max(64);
const role = z.enum(["OWNER", "ADMIN", "DEPLOYER", "VIEWER"]);

/** Environments (hosts by label selector) and members' roles narrowed on them; managed by ADMINs. */
export const environmentsRouter = createTRPCRouter({
  list: teamProcedure("VIEWER").query(({ ctx }) =>
    listEnvironments(ctx.prisma, { teamId: ctx.actor.teamId }),
  ),
  save: teamProcedure("ADMIN")
    .input(
      z.object({
        environmentId: id.optional(),
        name: z.string().max(200),
        selector: z.string().max(2000),
        requiresApproval: z.boolean().optional(),
        approverRole: z.enum(["OWNER", "ADMIN", "DEPLOYER"]).optional(),
        approvalTtlMinutes: z.number().int().optional(),
        freezeWindows: z.string().max(2000).optional(),
        timeZone: z.string().max(100).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const saved = await saveEnvironment(ctx.prisma, ctx.actor, input);
      return { id: saved.id, slug: saved.slug };
    }),
  delete: teamProcedure("ADMIN")
    .input(z.object({ environmentId: id }))
    .mutation(({ ctx, input }) => deleteEnvironment(ctx.prisma, ctx.actor, input)),
  /** `role: null` clears the narrowing: the member's team role applies there again. */
  setRole: teamProcedure("ADMIN")
    .input(z.object({ environmentId: id, membershipId: id, role: role.nullable() }))
    .mutation(({ ctx, input }) => setEnvironmentRole(ctx.prisma, ctx.actor, input)),
});
