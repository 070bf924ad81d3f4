import { createWebhook } from "@capstan/core/webhooks/create-webhook";
import { deleteWebhook } from "@capstan/core/webhooks/delete-webhook";
import { listWebhookDeliveries } from "@capstan/core/webhooks/list-webhook-deliveries";
import { listWebhooks } from "@capstan/core/webhooks/list-webhooks";
import { retryWebhookDelivery } from "@capstan/core/webhooks/retry-webhook-delivery";
import { rotateWebhookSecret } from "@capstan/core/webhooks/rotate-webhook-secret";
import { sendTestWebhook } from "@capstan/core/webhooks/send-test-webhook";
import { updateWebhook } from "@capstan/core/webhooks/update-webhook";
import { WEBHOOK_EVENT_TYPES } from "@capstan/core/webhooks/webhook-events";
import { z } from "zod";
import { createTRPCRouter, teamProcedure } from "../init";
import { keyringOf } from "../keyring-of";

const id = z.string().max(64);
const format = z.enum(["JSON", "SLACK"]);
const events = z.array(z.enum(WEBHOOK_EVENT_TYPES)).max(WEBHOOK_EVENT_TYPES.length);
const url = z.string().max(2000);
const name = z.string().max(80);

// Every member reads webhooks (ADMIN+ see full URLs) and the delivery log; ADMIN+ manages them.
export const webhooksRouter = createTRPCRouter({
  list: teamProcedure("VIEWER").query(({ ctx }) => listWebhooks(ctx.prisma, ctx.actor)),
  eventTypes: teamProcedure("VIEWER").query(() => [...WEBHOOK_EVENT_TYPES]),
  deliveries: teamProcedure("VIEWER")
    .input(
      z.object({
        webhookId: id.nullish(),
        status: z.enum(["PENDING", "SUCCEEDED", "FAILED"]).nullish(),
        cursor: id.nullish(),
        limit: z.number().int().min(1).max(200).optional(),
      }),
    )
    .query(({ ctx, input }) => listWebhookDeliveries(ctx.prisma, ctx.actor, input)),
  /** The answer's `secret` is shown once; it is stored only sealed. */
  create: teamProcedure("ADMIN")
    .input(z.object({ name, url, format: format.optional(), events, enabled: z.boolean().optional() }))
    .mutation(async ({ ctx, input }) => createWebhook(ctx.prisma, await keyringOf(ctx), ctx.actor, input)),
  update: teamProcedure("ADMIN")
    .input(
      z.object({
        webhookId: id,
        name: name.optional(),
        url: url.optional(),
        format: format.optional(),
        events: events.optional(),
        enabled: z.boolean().optional(),
      }),
    )
    .mutation(({ ctx, input }) => updateWebhook(ctx.prisma, ctx.actor, input)),
  delete: teamProcedure("ADMIN")
    .input(z.object({ webhookId: id }))
    .mutation(({ ctx, input }) => deleteWebhook(ctx.prisma, ctx.actor, input)),
  /** A new signing secret, shown once. */
  rotateSecret: teamProcedure("ADMIN")
    .input(z.object({ webhookId: id }))
    .mutation(async ({ ctx, input }) =>
      rotateWebhookSecret(ctx.prisma, await keyringOf(ctx), ctx.actor, input),
    ),
  sendTest: teamProcedure("ADMIN")
    .input(z.object({ webhookId: id }))
    .mutation(({ ctx, input }) => sendTestWebhook(ctx.prisma, ctx.actor, input)),
  retryDelivery: teamProcedure("ADMIN")
    .input(z.object({ deliveryId: id }))
    .mutation(({ ctx, input }) => retryWebhookDelivery(ctx.prisma, ctx.actor, input)),
});
