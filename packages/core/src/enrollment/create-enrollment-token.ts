import { HOST_NAME_PATTERN, LABEL_KEY_PATTERN, LABEL_VALUE_PATTERN } from "@capstan/templates";
import { z } from "zod";
import { type Actor, recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { badRequest, conflict } from "../errors";
import { newEnrollmentToken } from "./enrollment-token";
import { type EnrollmentTokenView, toEnrollmentTokenView } from "./enrollment-token-view";

export const DEFAULT_ENROLLMENT_TOKEN_TTL_SECONDS = 3600;
export const MAX_ENROLLMENT_TOKEN_TTL_SECONDS = 7 * 24 * 3600;

export const hostLabelsSchema = z
  .record(
    z.string().regex(LABEL_KEY_PATTERN, "label keys are lowercase letters, digits and . _ / -"),
    z.string().regex(LABEL_VALUE_PATTERN, "label values are letters, digits and . _ -"),
  )
  .refine((labels) => Object.keys(labels).length <= 64, "at most 64 labels");

export const createEnrollmentTokenInputSchema = z.object({
  hostName: z
    .string()
    .regex(HOST_NAME_PATTERN, "host names are lowercase letters, digits, '.' and '-'")
    .optional(),
  labels: hostLabelsSchema.default({}),
  expiresInSeconds: z
    .number()
    .int()
    .min(60)
    .max(MAX_ENROLLMENT_TOKEN_TTL_SECONDS)
    .default(DEFAULT_ENROLLMENT_TOKEN_TTL_SECONDS),
});
export type CreateEnrollmentTokenInput = z.input<typeof createEnrollmentTokenInputSchema>;

/** Creates a one-time enrollment token. The returned `token` is shown once and never again. */
export async function createEnrollmentToken(
  db: Db,
  args: { teamId: string; actor: Actor; createdById?: string | null; input: CreateEnrollmentTokenInput },
): Promise<EnrollmentTokenView & { token: string }> {
  const parsed = createEnrollmentTokenInputSchema.safeParse(args.input);
  if (!parsed.success)
    throw badRequest("Invalid enrollment token settings.", z.flattenError(parsed.error).fieldErrors);
  const input = parsed.data;
  if (input.hostName) {
    const taken = await db.host.count({ where: { teamId: args.teamId, name: input.hostName } });
    if (taken) throw conflict(`A host named ${input.hostName} already exists in this team.`);
  }
  const { token, tokenHash } = newEnrollmentToken();
  const row = await db.enrollmentToken.create({
    data: {
      teamId: args.teamId,
      tokenHash,
      hostName: input.hostName ?? null,
      labels: input.labels,
      expiresAt: new Date(Date.now() + input.expiresInSeconds * 1000),
      createdById: args.createdById ?? null,
    },
  });
  await recordAuditEvent(db, {
    teamId: args.teamId,
    actor: args.actor,
    kind: "enrollment_token.created",
    target: { type: "enrollment_token", id: row.id },
    data: { hostName: input.hostName ?? null, labels: input.labels, expiresAt: row.expiresAt.toISOString() },
  });
  return { ...toEnrollmentTokenView(row), token };
}
