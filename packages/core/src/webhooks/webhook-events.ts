// The events a webhook can subscribe to, and how they are read off the audit log: the job engine
// records `deployment.status_changed` (data.to = the new status) and `host.offline`; a test
// ping from the dashboard records `webhook.test_requested`.
import { readAuditData } from "../columns/audit-data";

export const WEBHOOK_EVENT_TYPES = [
  "deployment.succeeded",
  "deployment.failed",
  "deployment.unknown",
  /** A deployment to a protected environment waits for an approval. */
  "deployment.awaiting_approval",
  "deployment.approved",
  /** Rejected by a member, or its approval expired (the deployment's error says which). */
  "deployment.rejected",
  "host.offline",
  /** A host crossed a threshold (data.kind: disk, memory, restart-loop); once per episode. */
  "host.alert",
  "task.failed",
  /** A certificate expires within 14 days or its last issuance failed (data.subject: the name); once per episode. */
  "certificate.alert",
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Sent only to the webhook it was requested for, whatever it subscribes to. */
export const WEBHOOK_PING_EVENT = "webhook.ping";

/** Approval audit kinds -> [webhook event, the deployment status it leaves]. */
export const APPROVAL_EVENTS: Record<string, [WebhookEventType, string]> = {
  "deployment.awaiting_approval": ["deployment.awaiting_approval", "AWAITING_APPROVAL"],
  "deployment.approved": ["deployment.approved", "PENDING"],
  "deployment.rejected": ["deployment.rejected", "CANCELLED"],
  "deployment.approval_expired": ["deployment.rejected", "CANCELLED"],
};

/** Audit kinds the dispatcher reads; everything else only moves the cursor. */
export const WEBHOOK_AUDIT_KINDS = [
  "deployment.status_changed",
  ...Object.keys(APPROVAL_EVENTS),
  "host.offline",
  "host.alert",
  "webhook.test_requested",
  "task.failed",
  "certificate.alert",
];

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** The webhook event an audit row stands for, or null when it is not one. */
export function webhookEventFor(kind: string, data: unknown): string | null {
  if (kind === "host.offline") return "host.offline";
  if (kind === "host.alert") return "host.alert";
  if (kind === "task.failed") return "task.failed";
  if (kind === "certificate.alert") return "certificate.alert";
  if (kind === "webhook.test_requested") return WEBHOOK_PING_EVENT;
  const approval = APPROVAL_EVENTS[kind];
  if (approval) return approval[0];
  if (kind !== "deployment.status_changed") return null;
  const { to } = readAuditData(data);
  if (to === "SUCCEEDED") return "deployment.succeeded";
  if (to === "FAILED") return "deployment.failed";
  if (to === "UNKNOWN") return "deployment.unknown";
  return null;
}
