// Opens and clears HostAlert episodes as planned (host-alerts.ts planHostAlerts) and writes one
// audit event per opening and per clearing, which the webhook dispatcher turns into deliveries.
// Threshold alerts record `host.alert`, certificate alerts `certificate.alert` (their own event).
import { recordAuditEvents } from "../audit/record-audit-event";
import type { Db } from "../db";
import type { AlertFinding } from "./host-alerts";

export interface AlertActor {
  type: "AGENT";
  id: string;
  label: string;
}

export async function applyHostAlertPlan(
  db: Db,
  args: {
    teamId: string;
    hostId: string;
    actor: AlertActor;
    plan: { open: AlertFinding[]; clear: string[] };
    /** The audit kind of an opening; a clearing is `<kind>_cleared`. */
    auditKind: "host.alert" | "certificate.alert";
  },
): Promise<void> {
  const { teamId, hostId, actor, plan, auditKind } = args;
  const audit: Parameters<typeof recordAuditEvents>[1] = [];
  for (const f of plan.open) {
    // The partial unique index makes a concurrent second opening a no-op (no second event).
    const inserted = await db.$queryRaw<{ id: string }[]>`
      INSERT INTO "HostAlert" ("teamId", "hostId", kind, subject, detail)
      VALUES (${teamId}::uuid, ${hostId}::uuid, ${f.kind}, ${f.subject}, ${f.detail})
      ON CONFLICT ("hostId", kind, subject) WHERE "clearedAt" IS NULL DO NOTHING
      RETURNING id::text`;
    if (inserted[0])
      audit.push({
        teamId,
        actor,
        kind: auditKind,
        target: { type: "host", id: hostId },
        data: {
          alertId: inserted[0].id,
          name: actor.label,
          kind: f.kind,
          subject: f.subject,
          detail: f.detail,
        },
      });
  }
  if (plan.clear.length) {
    const cleared = await db.$queryRaw<{ id: string; kind: string; subject: string }[]>`
      UPDATE "HostAlert" SET "clearedAt" = now()
      WHERE id = ANY(${plan.clear}::uuid[]) AND "clearedAt" IS NULL
      RETURNING id::text, kind, subject`;
    for (const c of cleared)
      audit.push({
        teamId,
        actor,
        kind: `${auditKind}_cleared`,
        target: { type: "host", id: hostId },
        data: { alertId: c.id, name: actor.label, kind: c.kind, subject: c.subject },
      });
  }
  await recordAuditEvents(db, audit);
}
