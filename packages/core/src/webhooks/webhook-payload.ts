// The request bodies. JSON is the documented, versioned shape (docs/user/webhooks.md); SLACK is
// `{ "text": ... }`, which Slack incoming webhooks and compatible chat tools (Mattermost,
// Rocket.Chat, Discord's /slack endpoint) accept as is.
import type { WebhookFormat } from "@capstan/db";

export interface WebhookDeploymentFacts {
  id: string;
  status: string;
  workflow: { id: string; name: string };
  revision: { id: string; number: number; hash: string };
  rollback: boolean;
  error: string | null;
  createdAt: Date;
  finishedAt: Date;
}

export interface WebhookTaskFacts {
  host: { id: string; name: string };
  workflow: string;
  service: string;
  task: string;
  schedule: string;
  startedAt: string;
  finishedAt: string;
  exitCode: number | null;
  result: string;
  durationMs: number;
}

export interface WebhookEventFacts {
  /** The delivery id: unique per webhook and event; receivers dedupe on it. */
  id: string;
  type: string;
  auditEventId: bigint;
  occurredAt: Date;
  team: { id: string; slug: string; name: string };
  deployment?: WebhookDeploymentFacts;
  host?: { id: string; name: string; lastSeenAt: string | null };
  /** host.alert and certificate.alert: the episode (kind disk | memory | restart-loop | certificate). */
  alert?: { id: string; kind: string; subject: string; detail: string };
  /** task.failed: the run that failed (no output: it may hold secret values). */
  task?: WebhookTaskFacts;
  webhook?: { id: string; name: string };
}

function links(event: WebhookEventFacts, publicUrl?: string): string | null {
  if (!publicUrl) return null;
  const base = `${publicUrl.replace(/\/+$/, "")}/t/${encodeURIComponent(event.team.slug)}`;
  if (event.deployment) return `${base}/deployments/${event.deployment.id}`;
  if (event.host || event.task) return `${base}/hosts`;
  return `${base}/settings/webhooks`;
}

const seconds = (d: WebhookDeploymentFacts) =>
  Math.max(0, Math.round((d.finishedAt.getTime() - d.createdAt.getTime()) / 1000));

function jsonBody(event: WebhookEventFacts, url: string | null): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: event.id,
    type: event.type,
    createdAt: event.occurredAt.toISOString(),
    eventId: event.auditEventId.toString(),
    team: event.team,
  };
  if (event.deployment) {
    const d = event.deployment;
    body.deployment = {
      id: d.id,
      status: d.status,
      workflow: d.workflow,
      revision: d.revision,
      rollback: d.rollback,
      error: d.error,
      createdAt: d.createdAt.toISOString(),
      finishedAt: d.finishedAt.toISOString(),
      durationSeconds: seconds(d),
    };
  }
  if (event.host) body.host = event.alert ? { id: event.host.id, name: event.host.name } : event.host;
  if (event.alert) body.alert = event.alert;
  if (event.task) body.task = event.task;
  if (event.webhook) body.webhook = event.webhook;
  if (url) body.url = url;
  return body;
}

/** Slack's mrkdwn needs only &, < and > escaped. */
const esc = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function slackText(event: WebhookEventFacts, url: string | null): string {
  const team = esc(event.team.name);
  const link = url ? ` <${url}|Open in Capstan>` : "";
  const d = event.deployment;
  if (d) {
    const what = `*${esc(d.workflow.name)}* revision ${d.revision.number}${d.rollback ? " (rollback)" : ""}`;
    if (event.type === "deployment.succeeded")
      return `:white_check_mark: Deployed ${what} in ${seconds(d)} s (team ${team}).${link}`;
    if (event.type === "deployment.awaiting_approval")
      return `:raised_hand: Deployment of ${what} waits for an approval (team ${team}).${link}`;
    if (event.type === "deployment.approved")
      return `:+1: Deployment of ${what} was approved (team ${team}).${link}`;
    if (event.type === "deployment.rejected")
      return `:no_entry: Deployment of ${what} will not run${d.error ? `: ${esc(d.error)}` : ""} (team ${team}).${link}`;
    if (event.type === "deployment.failed")
      return `:x: Deployment of ${what} failed after ${seconds(d)} s${d.error ? `: ${esc(d.error)}` : ""} (team ${team}).${link}`;
    return `:warning: Deployment of ${what} ended in an unknown state after ${seconds(d)} s; check the hosts (team ${team}).${link}`;
  }
  if (event.host && event.alert) {
    return `:warning: Host *${esc(event.host.name)}*: ${esc(event.alert.kind)} alert: ${esc(event.alert.detail)} (team ${team}).${link}`;
  }
  const t = event.task;
  if (t) {
    const exit = t.exitCode === null ? t.result : `exit code ${t.exitCode}`;
    return `:x: Task *${esc(t.workflow)}/${esc(t.service)}/${esc(t.task)}* failed on host *${esc(t.host.name)}* (${esc(exit)}, ${Math.round(t.durationMs / 1000)} s) (team ${team}).${link}`;
  }
  if (event.host) {
    const seen = event.host.lastSeenAt ? `, last seen ${event.host.lastSeenAt}` : "";
    return `:red_circle: Host *${esc(event.host.name)}* is offline${seen} (team ${team}).${link}`;
  }
  const name = event.webhook ? ` *${esc(event.webhook.name)}*` : "";
  return `:wave: Test message from Capstan webhook${name} (team ${team}).${link}`;
}

export function buildWebhookBody(
  format: WebhookFormat,
  event: WebhookEventFacts,
  publicUrl?: string,
): string {
  const url = links(event, publicUrl);
  return JSON.stringify(format === "SLACK" ? { text: slackText(event, url) } : jsonBody(event, url));
}
