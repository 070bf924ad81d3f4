import type { Role, Webhook, WebhookDeliveryStatus, WebhookFormat } from "@capstan/db";
import { hasRole } from "../rbac/roles";

export interface WebhookView {
  id: string;
  name: string;
  /** Full URL for ADMIN and above; others see it shortened (Slack-style URLs carry a secret path). */
  url: string;
  urlRedacted: boolean;
  format: WebhookFormat;
  events: string[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
  lastDelivery: {
    status: WebhookDeliveryStatus;
    eventType: string;
    responseStatus: number | null;
    createdAt: Date;
  } | null;
}

/** Scheme, host and the first path segment; the rest (often a token) becomes "...". */
export function redactWebhookUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const [first, ...rest] = parsed.pathname.split("/").filter(Boolean);
    const path = first ? `/${first}${rest.length > 0 ? "/..." : ""}` : "/";
    return `${parsed.origin}${path}${parsed.search ? "?..." : ""}`;
  } catch {
    return "(invalid URL)";
  }
}

/** Never the secret or its ciphertext. */
export function toWebhookView(
  row: Pick<Webhook, "id" | "name" | "url" | "format" | "events" | "enabled" | "createdAt" | "updatedAt">,
  viewerRole: Role,
  lastDelivery: WebhookView["lastDelivery"] = null,
): WebhookView {
  const full = hasRole(viewerRole, "ADMIN");
  return {
    id: row.id,
    name: row.name,
    url: full ? row.url : redactWebhookUrl(row.url),
    urlRedacted: !full,
    format: row.format,
    events: row.events,
    enabled: row.enabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    lastDelivery,
  };
}
