import { createPushHook } from "@capstan/core/push-hooks/create-push-hook";
import { deletePushHook } from "@capstan/core/push-hooks/delete-push-hook";
import { getPushHook } from "@capstan/core/push-hooks/get-push-hook";
import { listPushDeliveries } from "@capstan/core/push-hooks/list-push-deliveries";
import { rotatePushHookSecret } from "@capstan/core/push-hooks/rotate-push-hook-secret";
import { updatePushHook } from "@capstan/core/push-hooks/update-push-hook";
import { z } from "zod";
import { createTRPCRouter, teamProcedure } from "../init";
import { keyringOf } from "../keyring-of";

const workflowId = z.string().max(64);
const branches = z.array(z.string().max(200)).max(50);

// Every member sees a workflow's push hook and its deliveries; ADMIN+ manages it. The secret is
// in the answer of create and rotateSecret only.
export const pushHooksRouter = createTRPCRouter({
  get: teamProcedure("VIEWER")
    .input(z.object({ workflowId }))
    .query(({ ctx, input }) => getPushHook(ctx.prisma, ctx.actor, input)),
  deliveries: teamProcedure("VIEWER")
    .input(z.object({ workflowId, limit: z.number().int().min(1).max(100).optional() }))
    .query(({ ctx, input }) => listPushDeliveries(ctx.prisma, ctx.actor, input)),
  create: teamProcedure("ADMIN")
    .input(z.object({ workflowId, branches: branches.optional() }))
    .mutation(async ({ ctx, input }) => createPushHook(ctx.prisma, await keyringOf(ctx), ctx.actor, input)),
  update: teamProcedure("ADMIN")
    .input(z.object({ workflowId, branches: branches.optional(), enabled: z.boolean().optional() }))
    .mutation(({ ctx, input }) => updatePushHook(ctx.prisma, ctx.actor, input)),
  rotateSecret: teamProcedure("ADMIN")
    .input(z.object({ workflowId }))
    .mutation(async ({ ctx, input }) =>
      rotatePushHookSecret(ctx.prisma, await keyringOf(ctx), ctx.actor, input),
    ),
  delete: teamProcedure("ADMIN")
    .input(z.object({ workflowId }))
    .mutation(({ ctx, input }) => deletePushHook(ctx.prisma, ctx.actor, input)),
});
