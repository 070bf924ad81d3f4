// Which certificates need a warning, decided without the database: one that expires within
// CERTIFICATE_WARNING_DAYS (or has expired), or whose last issuance failed. The dashboard's status
// of a certificate is decided here too, so the colours and the webhook agree.
import type { CertificateReport } from "@capstan/protocol";
import type { AlertFinding } from "./host-alerts";

export const CERTIFICATE_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

export type CertificateStatus = "valid" | "expiring" | "failed" | "pending";

export function certificateStatus(report: CertificateReport, now: Date): CertificateStatus {
  if (report.status === "failed") return "failed";
  if (report.status === "pending") return "pending";
  const left = report.notAfter ? Date.parse(report.notAfter) - now.getTime() : 0;
  if (report.status === "expired" || left < CERTIFICATE_WARNING_DAYS * DAY_MS) return "expiring";
  return "valid";
}

export function findCertificateAlerts(reports: readonly CertificateReport[], now: Date): AlertFinding[] {
  const findings: AlertFinding[] = [];
  for (const r of reports) {
    const status = certificateStatus(r, now);
    if (status === "failed")
      findings.push({
        kind: "certificate",
        subject: r.name,
        detail: `issuing a certificate for ${r.name} failed: ${r.lastError ?? "no reason logged"}`.slice(
          0,
          1024,
        ),
      });
    else if (status === "expiring") {
      const days = Math.floor((Date.parse(r.notAfter ?? "") - now.getTime()) / DAY_MS);
      findings.push({
        kind: "certificate",
        subject: r.name,
        detail:
          days < 0 || Number.isNaN(days)
            ? `the certificate for ${r.name} has expired (${r.notAfter ?? "unknown"})`
            : `the certificate for ${r.name} expires ${r.notAfter} (in ${days} days; warning at ${CERTIFICATE_WARNING_DAYS})`,
      });
    }
  }
  return findings;
}
