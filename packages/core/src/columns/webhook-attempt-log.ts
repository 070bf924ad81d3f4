// WebhookDelivery.attemptLog: one entry per delivery attempt, appended by the sender. Display-only,
// so an entry that no longer reads is left out instead of failing the list.
import { z } from "zod";

const webhookAttemptSchema = z.object({
  at: z.string(),
  status: z.number().int().nullable(),
  error: z.string().nullable(),
  ms: z.number(),
});
export type WebhookAttempt = z.output<typeof webhookAttemptSchema>;

export function readWebhookAttemptLog(value: unknown): WebhookAttempt[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) => {
    const result = webhookAttemptSchema.safeParse(entry);
    return result.success ? [result.data] : [];
  });
}
