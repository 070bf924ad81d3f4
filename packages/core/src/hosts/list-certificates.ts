// Domains and their certificates as the hosts' agents last reported them, for the workflow page
// (one workflow), the host page (one host) and the overview (the whole team), each with its
// dashboard status (valid / expiring / failed / pending) and the "check DNS" hint.
import { type CertificateReport, certificateReportSchema } from "@capstan/protocol";
import type { Db } from "../db";
import { findTeamWorkflow } from "../workflows/find-team-workflow";
import { type CertificateStatus, certificateStatus } from "./certificate-alerts";
import { checkDns, type DnsHint, type DnsOptions, hostAddresses } from "./check-dns";

export interface CertificateView extends Omit<CertificateReport, "status"> {
  host: { id: string; name: string };
  status: CertificateStatus;
  reportedAt: string | null;
  dns: DnsHint;
}

export async function listCertificates(
  db: Db,
  args: { teamId: string; workflowId?: string; hostId?: string; dns?: DnsOptions },
): Promise<CertificateView[]> {
  const workflow = args.workflowId ? await findTeamWorkflow(db, args.teamId, args.workflowId) : undefined;
  const hosts = await db.host.findMany({
    where: {
      teamId: args.teamId,
      status: { not: "REVOKED" },
      certificatesAt: { not: null },
      ...(args.hostId ? { id: args.hostId } : {}),
    },
    select: { id: true, name: true, facts: true, certificates: true, certificatesAt: true },
    orderBy: { name: "asc" },
    take: 500,
  });
  const now = new Date();
  const views: Promise<CertificateView>[] = [];
  for (const host of hosts) {
    const addresses = hostAddresses(host.facts);
    const list = Array.isArray(host.certificates) ? host.certificates : [];
    for (const raw of list) {
      // Stored as the agent sent it after validation; parsed again so the page trusts its shape.
      const parsed = certificateReportSchema.safeParse(raw);
      if (!parsed.success || (workflow && parsed.data.workflow !== workflow.name)) continue;
      const report = parsed.data;
      views.push(
        checkDns(report.name, addresses, args.dns).then((dns) => ({
          ...report,
          host: { id: host.id, name: host.name },
          status: certificateStatus(report, now),
          reportedAt: host.certificatesAt?.toISOString() ?? null,
          dns,
        })),
      );
    }
  }
  return Promise.all(views);
}
