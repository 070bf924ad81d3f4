// The `certificates` field of a heartbeat (agents send it when it changed and once a day): the
// list replaces the host's `certificates` column, and certificate alerts open (one
// `certificate.alert` audit event, hence one webhook delivery, per episode) or clear.
import type { CertificateReport } from "@capstan/protocol";
import type { Db } from "../db";
import { applyHostAlertPlan } from "./apply-host-alert-plan";
import { findCertificateAlerts } from "./certificate-alerts";
import { planHostAlerts } from "./host-alerts";

export async function recordCertificateReports(
  db: Db,
  hostId: string,
  reports: readonly CertificateReport[],
  now = new Date(),
): Promise<void> {
  // One report per name (the last wins).
  const list = [...new Map(reports.map((r) => [r.name, r])).values()];
  const host = await db.host.update({
    where: { id: hostId },
    data: { certificates: list as object[], certificatesAt: now },
    select: { teamId: true, name: true },
  });
  const open = await db.hostAlert.findMany({
    where: { hostId, clearedAt: null, kind: "certificate" },
    select: { id: true, kind: true, subject: true },
  });
  const plan = planHostAlerts(open, new Set(["certificate"]), findCertificateAlerts(list, now));
  await applyHostAlertPlan(db, {
    teamId: host.teamId,
    hostId,
    actor: { type: "AGENT", id: hostId, label: host.name },
    plan,
    auditKind: "certificate.alert",
  });
}
