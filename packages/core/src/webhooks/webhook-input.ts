import type { WebhookFormat } from "@capstan/db";
import { badRequest } from "../errors";
import { isWebhookEventType, WEBHOOK_EVENT_TYPES, type WebhookEventType } from "./webhook-events";

export const WEBHOOK_NAME_PATTERN = /^[A-Za-z0-9#][A-Za-z0-9 ._:/#-]{0,79}$/;

export function checkWebhookName(input: string): string {
  const name = input.trim();
  if (!WEBHOOK_NAME_PATTERN.test(name))
    throw badRequest("Webhook names are 1-80 letters, digits, spaces and . _ : / # - (like `#deploys`).");
  return name;
}

export function checkWebhookEvents(input: readonly string[]): WebhookEventType[] {
  const unknown = input.filter((e) => !isWebhookEventType(e));
  if (unknown.length > 0)
    throw badRequest(
      `Unknown webhook event ${unknown.join(", ")}; choose from ${WEBHOOK_EVENT_TYPES.join(", ")}.`,
    );
  const events = WEBHOOK_EVENT_TYPES.filter((e) => input.includes(e));
  if (events.length === 0) throw badRequest("Choose at least one event for the webhook.");
  return events;
}

export function checkWebhookFormat(input: string): WebhookFormat {
  if (input !== "JSON" && input !== "SLACK") throw badRequest("The format is JSON or SLACK.");
  return input;
}
