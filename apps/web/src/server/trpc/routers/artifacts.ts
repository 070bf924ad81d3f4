// Uploads go through POST /api/artifacts (raw body, no base64 through JSON); here: list and delete.
import { deleteArtifact } from "@capstan/core/artifacts/delete-artifact";
import { listArtifacts } from "@capstan/core/artifacts/list-artifacts";
import { z } from "zod";
import { createTRPCRouter, teamProcedure } from "../init";

export const artifactsRouter = createTRPCRouter({
  list: teamProcedure("VIEWER").query(({ ctx }) => listArtifacts(ctx.prisma, ctx.actor)),
  delete: teamProcedure("ADMIN")
    .input(z.object({ id: z.string().max(64) }))
    .mutation(({ ctx, input }) => deleteArtifact(ctx.prisma, ctx.actor, input)),
});
