// Reads the AuditEvent stream after the cursor and turns the events webhooks care about into
// WebhookDelivery rows (the outbox), in the transaction that moves the cursor: an event becomes
// deliveries exactly once, also across restarts and several web processes (the cursor row is
// locked FOR UPDATE SKIP LOCKED; a process that finds it taken skips its turn).
//
// Audit ids come from a sequence, so an id can be handed out before a lower one commits. The
// cursor therefore only moves over a contiguous run of ids. A gap right after it is waited on
// for `gapTimeoutMs` (an open transaction) and then passed (a rolled-back one): only an event
// whose transaction stays open longer than that could be missed, and the events read here are
// written by single statements.
import { randomUUID } from "node:crypto";
import type { Prisma } from "@capstan/db";
import { readAuditData } from "../columns/audit-data";
import { type Db, withTransaction } from "../db";
import { APPROVAL_EVENTS, WEBHOOK_AUDIT_KINDS, WEBHOOK_PING_EVENT, webhookEventFor } from "./webhook-events";
import {
  buildWebhookBody,
  type WebhookDeploymentFacts,
  type WebhookEventFacts,
  type WebhookTaskFacts,
} from "./webhook-payload";

const CURSOR = "audit";
const FINAL = new Set(["SUCCEEDED", "FAILED", "UNKNOWN", "CANCELLED"]);

export interface EnqueueWebhookOptions {
  gapTimeoutMs?: number;
  batchSize?: number;
  /** Base URL of the dashboard, for links in payloads. */
  publicUrl?: string;
}

/** A deployment that reached a final status in the events just read (for the duration metric). */
export interface FinishedDeployment {
  id: string;
  outcome: "succeeded" | "failed" | "unknown" | "cancelled";
  durationSeconds: number;
}

export interface EnqueueWebhookResult {
  /** False when another process holds the cursor. */
  ran: boolean;
  /** Events the cursor moved over. */
  events: number;
  deliveries: number;
  /** True when a full batch was read: call again. */
  more: boolean;
  finishedDeployments: FinishedDeployment[];
}

interface AuditRow {
  id: bigint;
  kind: string;
  teamId: string | null;
  targetId: string | null;
  data: Prisma.JsonValue | null;
  createdAt: Date;
}

const idle = (ran: boolean): EnqueueWebhookResult => ({
  ran,
  events: 0,
  deliveries: 0,
  more: false,
  finishedDeployments: [],
});

export async function enqueueWebhookDeliveries(
  db: Db,
  options: EnqueueWebhookOptions = {},
): Promise<EnqueueWebhookResult> {
  const gapTimeoutMs = options.gapTimeoutMs ?? 30_000;
  const batchSize = options.batchSize ?? 500;
  return withTransaction(
    db,
    async (tx) => {
      const [cursor] = await tx.$queryRaw<{ lastEventId: bigint; gapSince: Date | null }[]>`
        SELECT "lastEventId", "gapSince" FROM "WebhookCursor" WHERE name = ${CURSOR} FOR UPDATE SKIP LOCKED`;
      if (!cursor) {
        // Normally made by the migration; recreated (at the end of the log) if someone deleted it.
        await tx.$executeRaw`
          INSERT INTO "WebhookCursor" (name, "lastEventId", "updatedAt")
          SELECT ${CURSOR}, COALESCE(max(id), 0), now() FROM "AuditEvent"
          ON CONFLICT (name) DO NOTHING`;
        return idle(false);
      }
      // Every kind is read (to see gaps), but only the interesting ones carry their data.
      const rows = await tx.$queryRaw<AuditRow[]>`
        SELECT id, kind, "teamId"::text AS "teamId", "targetId",
          CASE WHEN kind = ANY(${WEBHOOK_AUDIT_KINDS}::text[]) THEN data END AS data, "createdAt"
        FROM "AuditEvent" WHERE id > ${cursor.lastEventId} ORDER BY id LIMIT ${batchSize}`;

      let last = cursor.lastEventId;
      let gapSince = cursor.gapSince;
      const taken: AuditRow[] = [];
      for (const row of rows) {
        if (row.id !== last + 1n) {
          if (!gapSince) {
            gapSince = new Date();
            break;
          }
          if (Date.now() - gapSince.getTime() < gapTimeoutMs) break;
        }
        gapSince = null;
        taken.push(row);
        last = row.id;
      }
      if (last !== cursor.lastEventId || gapSince?.getTime() !== cursor.gapSince?.getTime()) {
        await tx.webhookCursor.update({ where: { name: CURSOR }, data: { lastEventId: last, gapSince } });
      }

      const relevant = taken.filter((row) => row.teamId && webhookEventFor(row.kind, row.data) !== null);
      const finishedIds = taken
        .filter((row) => row.kind === "deployment.status_changed" && row.targetId)
        .filter((row) => FINAL.has(String(readAuditData(row.data).to)))
        .map((row) => row.targetId!);
      const deploymentIds = [
        ...new Set([
          ...finishedIds,
          ...relevant.filter((r) => r.kind.startsWith("deployment.")).map((r) => r.targetId!),
        ]),
      ];
      const deployments = new Map(
        (
          await tx.deployment.findMany({
            where: { id: { in: deploymentIds } },
            select: {
              id: true,
              error: true,
              createdAt: true,
              rollbackOfId: true,
              workflow: { select: { id: true, name: true } },
              revision: { select: { id: true, number: true, contentHash: true } },
            },
          })
        ).map((d) => [d.id, d]),
      );
      const finishedDeployments: FinishedDeployment[] = [];
      for (const row of taken) {
        if (row.kind !== "deployment.status_changed" || !row.targetId) continue;
        const to = String(readAuditData(row.data).to);
        const deployment = deployments.get(row.targetId);
        if (!FINAL.has(to) || !deployment) continue;
        finishedDeployments.push({
          id: deployment.id,
          outcome: to.toLowerCase() as FinishedDeployment["outcome"],
          durationSeconds: Math.max(0, (row.createdAt.getTime() - deployment.createdAt.getTime()) / 1000),
        });
      }
      if (relevant.length === 0)
        return {
          ran: true,
          events: taken.length,
          deliveries: 0,
          more: rows.length === batchSize,
          finishedDeployments,
        };

      const teamIds = [...new Set(relevant.map((r) => r.teamId!))];
      const [teams, webhooks] = await Promise.all([
        tx.team.findMany({ where: { id: { in: teamIds } }, select: { id: true, slug: true, name: true } }),
        tx.webhook.findMany({
          where: { teamId: { in: teamIds } },
          select: {
            id: true,
            teamId: true,
            name: true,
            format: true,
            events: true,
            enabled: true,
            createdAt: true,
          },
        }),
      ]);
      const teamById = new Map(teams.map((t) => [t.id, t]));
      const data: Prisma.WebhookDeliveryCreateManyInput[] = [];
      for (const row of relevant) {
        const type = webhookEventFor(row.kind, row.data)!;
        const team = teamById.get(row.teamId!);
        if (!team) continue;
        const targets = webhooks.filter((w) =>
          type === WEBHOOK_PING_EVENT
            ? w.id === row.targetId && w.teamId === row.teamId
            : w.enabled && w.teamId === row.teamId && w.events.includes(type) && w.createdAt <= row.createdAt,
        );
        for (const webhook of targets) {
          const facts = eventFacts(row, type, team, deployments.get(row.targetId ?? ""), webhook);
          if (!facts) continue;
          data.push({
            id: facts.id,
            webhookId: webhook.id,
            teamId: webhook.teamId,
            auditEventId: row.id,
            eventType: type,
            body: buildWebhookBody(webhook.format, facts, options.publicUrl),
          });
        }
      }
      const { count } = data.length
        ? await tx.webhookDelivery.createMany({ data, skipDuplicates: true })
        : { count: 0 };
      return {
        ran: true,
        events: taken.length,
        deliveries: count,
        more: rows.length === batchSize,
        finishedDeployments,
      };
    },
    { timeout: 30_000 },
  );
}

type DeploymentRow = {
  id: string;
  error: string | null;
  createdAt: Date;
  rollbackOfId: string | null;
  workflow: { id: string; name: string };
  revision: { id: string; number: number; contentHash: string };
};

function eventFacts(
  row: AuditRow,
  type: string,
  team: WebhookEventFacts["team"],
  deployment: DeploymentRow | undefined,
  webhook: { id: string; name: string },
): WebhookEventFacts | null {
  const facts: WebhookEventFacts = {
    id: randomUUID(),
    type,
    auditEventId: row.id,
    occurredAt: row.createdAt,
    team,
  };
  const data = readAuditData(row.data);
  if (row.kind.startsWith("deployment.")) {
    if (!deployment) return null;
    const d: WebhookDeploymentFacts = {
      id: deployment.id,
      status: APPROVAL_EVENTS[row.kind]?.[1] ?? String(data.to),
      workflow: deployment.workflow,
      revision: {
        id: deployment.revision.id,
        number: deployment.revision.number,
        hash: deployment.revision.contentHash,
      },
      rollback: deployment.rollbackOfId !== null,
      error: deployment.error,
      createdAt: deployment.createdAt,
      finishedAt: row.createdAt,
    };
    facts.deployment = d;
  } else if (row.kind === "host.offline") {
    facts.host = {
      id: row.targetId ?? "",
      name: typeof data.name === "string" ? data.name : "",
      lastSeenAt: typeof data.lastSeenAt === "string" ? data.lastSeenAt : null,
    };
  } else if (row.kind === "host.alert" || row.kind === "certificate.alert") {
    const text = (v: unknown) => (typeof v === "string" ? v : "");
    facts.host = { id: row.targetId ?? "", name: text(data.name), lastSeenAt: null };
    facts.alert = {
      id: text(data.alertId),
      kind: text(data.kind),
      subject: text(data.subject),
      detail: text(data.detail),
    };
  } else if (row.kind === "task.failed") {
    facts.task = taskFacts(row.targetId ?? "", data);
  } else {
    facts.webhook = { id: webhook.id, name: webhook.name };
  }
  return facts;
}

function taskFacts(hostId: string, data: Record<string, unknown>): WebhookTaskFacts {
  const text = (key: string) => (typeof data[key] === "string" ? (data[key] as string) : "");
  const number = (key: string) => (typeof data[key] === "number" ? (data[key] as number) : null);
  return {
    host: { id: hostId, name: text("host") },
    workflow: text("workflow"),
    service: text("service"),
    task: text("task"),
    schedule: text("schedule"),
    startedAt: text("startedAt"),
    finishedAt: text("finishedAt"),
    exitCode: number("exitCode"),
    result: text("result"),
    durationMs: number("durationMs") ?? 0,
  };
}
