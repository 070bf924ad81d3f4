// Team variables are plain values: every member reads them (values included), admins write.
import { deleteTeamVariable } from "@capstan/core/variables/delete-team-variable";
import { listTeamVariables } from "@capstan/core/variables/list-team-variables";
import { setTeamVariable } from "@capstan/core/variables/set-team-variable";
import { MAX_VARIABLE_VALUE_BYTES } from "@capstan/core/variables/variable-rules";
import { z } from "zod";
import { createTRPCRouter, teamProcedure } from "../init";

const name = z.string().max(200);

export const variablesRouter = createTRPCRouter({
  list: teamProcedure("VIEWER").query(({ ctx }) => listTeamVariables(ctx.prisma, ctx.actor)),
  /** Creates or replaces one; the next deploy of a workflow that names it gets the new value. */
  set: teamProcedure("ADMIN")
    // A little over the limit so the use case answers with its own message ("larger than 4 KiB").
    .input(z.object({ name, value: z.string().max(MAX_VARIABLE_VALUE_BYTES * 4) }))
    .mutation(({ ctx, input }) => setTeamVariable(ctx.prisma, ctx.actor, input)),
  delete: teamProcedure("ADMIN")
    .input(z.object({ name }))
    .mutation(({ ctx, input }) => deleteTeamVariable(ctx.prisma, ctx.actor, input)),
});
