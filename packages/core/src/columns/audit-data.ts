// AuditEvent.data: free-form details whose shape depends on the event kind. Read as an object
// (or none): the webhook outbox must keep moving past a row it cannot read, so this never throws.
import { z } from "zod";
import { parseColumnOr } from "./parse-column";

const auditDataSchema = z.record(z.string(), z.unknown());

export function readAuditData(value: unknown): Record<string, unknown> {
  return parseColumnOr(auditDataSchema, value, {});
}
