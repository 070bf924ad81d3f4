"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { DomainsPanel } from "@/components/hosts/domains-panel";
import { HostAlerts } from "@/components/hosts/host-alerts";
import { LiveWhereOverview } from "@/components/status/live-where";
import { StatusBadge, StatusDot } from "@/components/status/status-badge";
import { RelativeTime } from "@/components/status/time";
import { Card, ErrorNotice, PageHeader, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import { DeployButton } from "./deployments/deploy-dialog";
import { DeploymentRows } from "./deployments/deployment-list";
import { GetStarted } from "./get-started";

export function Overview() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const query = useQuery(trpc.team.get.queryOptions({ teamId: team.id }));
  const fresh = query.data ? query.data.counts.hosts === 0 && query.data.counts.deployments === 0 : false;

  return (
    <>
      <PageHeader
        title="Overview"
        description={`Everything ${team.name} runs, at a glance.`}
        actions={fresh ? undefined : <DeployButton />}
      />
      {query.isPending ? <Spinner /> : null}
      {query.isError ? (
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      ) : null}
      <HostAlerts />
      <DomainsPanel className="mb-8" />
      {query.data ? (
        <>
          <dl className="grid grid-cols-2 gap-4 lg:grid-cols-4">
            {(
              [
                ["Hosts", query.data.counts.hosts, "hosts"],
                ["Workflows", query.data.counts.workflows, "workflows"],
                ["Deployments", query.data.counts.deployments, "deployments"],
                ["Members", query.data.counts.members, "team"],
              ] as const
            ).map(([label, value, href]) => (
              <Link
                key={label}
                href={`/t/${team.slug}/${href}`}
                className="block rounded-lg focus-visible:outline-2"
              >
                <Card className="p-5 hover:border-sky-300">
                  <dt className="text-sm font-medium text-slate-500">{label}</dt>
                  <dd className="mt-1 text-3xl font-semibold tabular-nums text-slate-900">{value}</dd>
                </Card>
              </Link>
            ))}
          </dl>
          <GetStarted />
          {fresh ? null : <FleetStatus />}
          {fresh ? null : <LiveWhereOverview />}
        </>
      ) : null}
    </>
  );
}

/** Hosts online/offline, services not healthy, deployments running and recent. Refreshes itself. */
function FleetStatus() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const query = useQuery({ ...trpc.overview.get.queryOptions({ teamId: team.id }), refetchInterval: 10_000 });
  if (query.isPending) return <Spinner label="Loading fleet status" />;
  if (query.isError)
    return (
      <div className="mt-8">
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      </div>
    );
  const o = query.data;
  const base = `/t/${team.slug}`;
  return (
    <div className="mt-8 grid gap-6 lg:grid-cols-2">
      <Panel title="Hosts" link={{ href: `${base}/hosts`, label: "All hosts" }}>
        <ul className="flex flex-wrap gap-x-6 gap-y-2 text-sm" aria-label="Hosts by status">
          {(["ONLINE", "OFFLINE", "PENDING"] as const).map((s) => (
            <li key={s} className="flex items-center gap-2" data-testid={`hosts-${s.toLowerCase()}`}>
              <StatusDot status={s} />
              <span className="text-xl font-semibold tabular-nums text-slate-900">{o.hosts[s]}</span>
              <span className="text-slate-600">{s.toLowerCase()}</span>
            </li>
          ))}
        </ul>
        {o.offlineHosts.length > 0 ? (
          <ul className="mt-4 divide-y divide-slate-100 border-t border-slate-100 text-sm">
            {o.offlineHosts.map((h) => (
              <li key={h.id} className="flex items-center justify-between gap-2 py-2">
                <Link
                  href={`${base}/hosts/${h.id}`}
                  className="font-medium text-slate-900 hover:text-sky-700"
                >
                  {h.name}
                </Link>
                <span className="text-xs text-red-700">
                  offline · last seen <RelativeTime date={h.lastSeenAt} />
                </span>
              </li>
            ))}
          </ul>
        ) : null}
      </Panel>

      <Panel title="Services">
        <p className="text-sm text-slate-600">
          <span className="text-xl font-semibold tabular-nums text-slate-900">{o.services.HEALTHY}</span> of{" "}
          {o.services.total} healthy
        </p>
        {o.unhealthyServices.length === 0 ? (
          <p className="mt-3 text-sm text-emerald-700">
            {o.services.total ? "Every service is healthy." : "No services reported yet."}
          </p>
        ) : (
          <ul
            className="mt-4 divide-y divide-slate-100 border-t border-slate-100 text-sm"
            aria-label="Services not healthy"
          >
            {o.unhealthyServices.map((s) => (
              <li
                key={`${s.host.id}/${s.workflow}/${s.service}`}
                className="flex flex-col gap-1 py-2 sm:flex-row sm:items-center sm:justify-between"
              >
                <span className="min-w-0">
                  <span className="font-medium text-slate-900">
                    {s.workflow}/{s.service}
                  </span>{" "}
                  <span className="text-slate-500">on</span>{" "}
                  <Link href={`${base}/hosts/${s.host.id}`} className="text-sky-700 hover:underline">
                    {s.host.name}
                  </Link>
                  {s.detail ? (
                    <span className="block truncate text-xs text-slate-500">{s.detail}</span>
                  ) : null}
                </span>
                <span className="flex shrink-0 items-center gap-2 text-xs text-slate-500">
                  <StatusBadge status={s.status} />
                  <RelativeTime date={s.updatedAt} />
                </span>
              </li>
            ))}
          </ul>
        )}
      </Panel>

      <Panel title="Running now" link={{ href: `${base}/deployments`, label: "All deployments" }} wide>
        {o.runningDeployments.length === 0 ? (
          <p className="text-sm text-slate-600">No deployment is running.</p>
        ) : (
          <div className="-mx-4">
            <DeploymentRows items={o.runningDeployments} />
          </div>
        )}
      </Panel>

      <Panel title="Recent deployments" wide>
        <p className="mb-2 text-xs text-slate-500">
          Last 24 h: {o.lastDay.succeeded} succeeded, {o.lastDay.failed} failed
          {o.lastDay.other ? `, ${o.lastDay.other} other` : ""}
        </p>
        {o.recentDeployments.length === 0 ? (
          <p className="text-sm text-slate-600">Nothing deployed yet.</p>
        ) : (
          <div className="-mx-4">
            <DeploymentRows items={o.recentDeployments} />
          </div>
        )}
      </Panel>
    </div>
  );
}

function Panel({
  title,
  link,
  wide,
  children,
}: {
  title: string;
  link?: { href: string; label: string };
  /** Deployment rows need the full width to lay out in one line. */
  wide?: boolean;
  children: ReactNode;
}) {
  return (
    <Card className={wide ? "p-4 lg:col-span-2" : "p-4"}>
      <div className="mb-3 flex items-center justify-between">
        <h2 className="text-base font-semibold text-slate-900">{title}</h2>
        {link ? (
          <Link href={link.href} className="text-sm font-medium text-sky-700 hover:underline">
            {link.label}
          </Link>
        ) : null}
      </div>
      {children}
    </Card>
  );
}
