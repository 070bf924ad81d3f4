"use client";
// Deployments as rows (status, workflow and revision, hosts, who, when), paginated with "load
// more". Used by the deployments page, the overview and the host page.
import { useInfiniteQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import type { ReactNode } from "react";
import { DeploymentsIcon } from "@/components/dashboard/icons";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { StatusBadge } from "@/components/status/status-badge";
import { Duration, RelativeTime } from "@/components/status/time";
import { Card, EmptyState, ErrorNotice, LoadMore, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import type { AppRouter } from "@/server/trpc/root";
import { useTRPC } from "@/trpc/client";

export type DeploymentSummary = inferRouterOutputs<AppRouter>["deployments"]["list"]["items"][number];

function hostsSummary(d: DeploymentSummary): string {
  const { jobs } = d;
  if (jobs.total === 0) return "no hosts";
  const names =
    d.hostNames.join(", ") + (jobs.total > d.hostNames.length ? ` +${jobs.total - d.hostNames.length}` : "");
  const parts = [
    jobs.succeeded ? `${jobs.succeeded} ok` : "",
    jobs.failed ? `${jobs.failed} failed` : "",
    jobs.running ? `${jobs.running} running` : "",
    jobs.queued ? `${jobs.queued} queued` : "",
    jobs.unknown ? `${jobs.unknown} unknown` : "",
    jobs.cancelled ? `${jobs.cancelled} cancelled` : "",
  ].filter(Boolean);
  return `${names}${parts.length ? ` · ${parts.join(", ")}` : ""}`;
}

export function DeploymentRows({ items }: { items: DeploymentSummary[] }) {
  const team = useCurrentTeam();
  return (
    <ul className="divide-y divide-slate-100">
      {items.map((d) => (
        <li key={d.id}>
          <Link
            href={`/t/${team.slug}/deployments/${d.id}`}
            className="flex flex-col gap-1 px-4 py-3 text-sm hover:bg-slate-50 focus-visible:bg-slate-50 focus-visible:outline-none sm:flex-row sm:items-center sm:gap-4"
            data-testid="deployment-row"
          >
            <span className="shrink-0 sm:w-28">
              <StatusBadge status={d.status} />
            </span>
            <span className="min-w-0 flex-1">
              <span className="font-medium text-slate-900">{d.workflow.name}</span>
              <span className="text-slate-500"> · revision {d.revision.number}</span>
              {d.rollbackOfId ? (
                <span className="ml-2 text-xs font-medium text-violet-700">rollback</span>
              ) : null}
              {d.commit ? (
                <span className="block truncate text-xs text-slate-600" data-testid="deployment-commit">
                  <span className="font-mono" title={d.commit.sha}>
                    {d.commit.sha.slice(0, 7)}
                  </span>{" "}
                  {d.commit.subject}
                  {d.commit.author ? <span className="text-slate-500"> · {d.commit.author}</span> : null}
                </span>
              ) : null}
              <span className="block truncate text-xs text-slate-500">{hostsSummary(d)}</span>
            </span>
            <span className="shrink-0 text-xs text-slate-500 sm:w-44 sm:text-right">
              <RelativeTime date={d.createdAt} />
              {d.createdBy ? <span className="block truncate">by {d.createdBy}</span> : null}
            </span>
            <span className="shrink-0 text-xs text-slate-500 sm:w-20 sm:text-right">
              {d.startedAt ? <Duration start={d.startedAt} end={d.finishedAt} /> : "–"}
            </span>
          </Link>
        </li>
      ))}
    </ul>
  );
}

const STATUS_FILTERS = [
  { value: "", label: "All" },
  { value: "open", label: "In progress" },
  { value: "SUCCEEDED", label: "Succeeded" },
  { value: "FAILED", label: "Failed" },
  { value: "CANCELLED", label: "Cancelled" },
  { value: "UNKNOWN", label: "Unknown" },
] as const;

type Filter = (typeof STATUS_FILTERS)[number]["value"];

export function StatusFilter({ value, onChange }: { value: Filter; onChange: (v: Filter) => void }) {
  return (
    <label className="flex items-center gap-2 text-sm text-slate-600">
      Status
      <select
        value={value}
        onChange={(e) => onChange(e.target.value as Filter)}
        className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm"
      >
        {STATUS_FILTERS.map((f) => (
          <option key={f.value} value={f.value}>
            {f.label}
          </option>
        ))}
      </select>
    </label>
  );
}

function filterStatuses(filter: Filter) {
  if (filter === "") return undefined;
  if (filter === "open") return ["PENDING" as const, "RUNNING" as const];
  return [filter];
}

export function DeploymentList({
  hostId,
  workflowId,
  filter = "",
  empty,
  live,
}: {
  hostId?: string;
  /** Only this workflow's deployments (for the workflows pages). */
  workflowId?: string;
  filter?: Filter;
  empty: ReactNode;
  /** Refresh every few seconds (while deployments may be running). */
  live?: boolean;
}) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const query = useInfiniteQuery(
    trpc.deployments.list.infiniteQueryOptions(
      { teamId: team.id, limit: 25, hostId, workflowId, statuses: filterStatuses(filter) },
      {
        getNextPageParam: (page) => page.nextCursor,
        refetchInterval: live ? 5000 : false,
      },
    ),
  );
  const items = query.data?.pages.flatMap((p) => p.items) ?? [];
  if (query.isPending) return <Spinner label="Loading deployments" />;
  if (query.isError)
    return <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />;
  if (items.length === 0) return <>{empty}</>;
  return (
    <>
      <Card>
        <DeploymentRows items={items} />
      </Card>
      <LoadMore query={query} label="Load older deployments" />
    </>
  );
}

export function NoDeployments({ children }: { children?: ReactNode }) {
  return (
    <EmptyState icon={<DeploymentsIcon />} title="No deployments yet">
      {children ?? (
        <p>
          Deploy a workflow revision and follow each host's progress here. Deployments are gated on health and
          every job has a deadline, so nothing stays queued forever.
        </p>
      )}
    </EmptyState>
  );
}
