"use client";
// Domains and their certificates as the hosts' ingress reported them: on the workflow page (its
// domains), the host page (what it routes) and the overview (the whole team). Each row has the
// certificate's state (valid / expiring soon / failed / pending), its issuer and expiry, the last
// issuance error with Caddy's next retry, and the "check DNS" hint.
import type { CertificateView } from "@capstan/core/hosts/list-certificates";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { RelativeTime } from "@/components/status/time";
import { Badge, Card, ErrorNotice, Spinner, type Tone } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

const STATUS: Record<string, { tone: Tone; text: string }> = {
  valid: { tone: "green", text: "valid" },
  expiring: { tone: "amber", text: "expiring soon" },
  failed: { tone: "red", text: "failed" },
  pending: { tone: "slate", text: "pending" },
};

const DNS: Record<string, { tone: Tone; text: string }> = {
  ok: { tone: "green", text: "DNS ok" },
  mismatch: { tone: "red", text: "DNS elsewhere" },
  unresolved: { tone: "red", text: "DNS missing" },
  unknown: { tone: "slate", text: "DNS: cannot tell" },
};

export function DomainsPanel({
  workflowId,
  hostId,
  className = "",
}: {
  workflowId?: string;
  hostId?: string;
  className?: string;
}) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const query = useQuery({
    ...trpc.certificates.list.queryOptions({ teamId: team.id, workflowId, hostId }),
    refetchInterval: 60_000,
  });
  if (query.isPending) return <Spinner label="Loading domains" />;
  if (query.isError)
    return <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />;
  // No domain anywhere in scope: the section would only be noise.
  if (query.data.length === 0) return null;
  return (
    <section aria-labelledby="domains-title" className={`space-y-3 ${className}`}>
      <h2 id="domains-title" className="text-lg font-semibold text-slate-900">
        Domains
      </h2>
      <Card>
        <DomainRows certificates={query.data} teamSlug={team.slug} showHost={!hostId} />
      </Card>
    </section>
  );
}

export function DomainRows({
  certificates,
  teamSlug,
  showHost,
}: {
  certificates: CertificateView[];
  teamSlug: string;
  showHost: boolean;
}) {
  return (
    <ul className="divide-y divide-slate-100">
      {certificates.map((c) => {
        const status = STATUS[c.status] ?? STATUS.pending!;
        const dns = DNS[c.dns.state] ?? DNS.unknown!;
        return (
          <li key={`${c.host.id}/${c.name}`} className="space-y-1 px-4 py-3 text-sm" data-testid="domain-row">
            <div className="flex flex-wrap items-center gap-2">
              <a className="font-mono font-medium text-sky-700 underline" href={`https://${c.name}/`}>
                {c.name}
              </a>
              <Badge tone={status.tone}>{status.text}</Badge>
              <span title={c.dns.detail}>
                <Badge tone={dns.tone}>{dns.text}</Badge>
              </span>
              <span className="text-slate-500">
                {c.workflow}/{c.service}
                {showHost ? (
                  <>
                    {" on "}
                    <Link className="underline" href={`/t/${teamSlug}/hosts/${c.host.id}`}>
                      {c.host.name}
                    </Link>
                  </>
                ) : null}
              </span>
            </div>
            <div className="flex flex-wrap gap-x-4 text-xs text-slate-600">
              {c.issuer ? <span>issuer {c.issuer}</span> : null}
              {c.notAfter ? (
                <span>
                  expires <RelativeTime date={new Date(c.notAfter)} />
                </span>
              ) : null}
              {c.serial ? <span className="font-mono">serial {c.serial}</span> : null}
            </div>
            {c.lastError ? (
              <p className="text-xs text-red-700">
                Last attempt failed: {c.lastError}
                {c.retryAt ? (
                  <>
                    {" "}
                    (next try <RelativeTime date={new Date(c.retryAt)} />)
                  </>
                ) : null}
              </p>
            ) : null}
            {c.dns.state !== "ok" ? <p className="text-xs text-slate-500">{c.dns.detail}</p> : null}
          </li>
        );
      })}
    </ul>
  );
}
