"use client";
import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { WorkflowsIcon } from "@/components/dashboard/icons";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { StatusBadge } from "@/components/status/status-badge";
import { RelativeTime } from "@/components/status/time";
import { Badge, Card, EmptyState, ErrorNotice, LoadMore, PageHeader, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import { ArtifactsSection } from "./artifacts-section";

export function WorkflowList() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const canEdit = team.role === "OWNER" || team.role === "ADMIN";
  const [search, setSearch] = useState("");
  const [debounced, setDebounced] = useState("");
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(search.trim()), 250);
    return () => clearTimeout(timer);
  }, [search]);
  const query = useInfiniteQuery({
    ...trpc.workflows.list.infiniteQueryOptions(
      { teamId: team.id, limit: 25, search: debounced || null },
      { getNextPageParam: (page) => page.nextCursor },
    ),
    placeholderData: keepPreviousData,
  });
  const items = query.data?.pages.flatMap((p) => p.items) ?? [];
  const base = `/t/${team.slug}/workflows`;

  return (
    <>
      <PageHeader
        title="Workflows"
        description="Deployable definitions: Compose stacks and systemd services. Every save is an immutable revision."
        actions={
          canEdit ? (
            <>
              <Link
                href={`/t/${team.slug}/templates`}
                className="inline-flex items-center rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-800 shadow-sm hover:bg-slate-50"
              >
                From a template
              </Link>
              <Link
                href={`${base}/new`}
                className="inline-flex items-center rounded-md bg-sky-600 px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-sky-500"
              >
                New workflow
              </Link>
            </>
          ) : null
        }
      />
      <div className="mb-4 max-w-sm">
        <label htmlFor="wf-search" className="sr-only">
          Search workflows
        </label>
        <input
          id="wf-search"
          type="search"
          placeholder="Search by name"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          className="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500/30"
        />
      </div>
      {query.isPending ? <Spinner label="Loading workflows" /> : null}
      {query.isError ? (
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      ) : null}
      {query.isSuccess && items.length === 0 ? (
        debounced ? (
          <EmptyState title="No matching workflows">Nothing is named like “{debounced}”.</EmptyState>
        ) : (
          <EmptyState icon={<WorkflowsIcon />} title="No workflows yet">
            <p>
              A workflow is a capstan.yaml describing one or more services, their health checks and the hosts
              they run on. Every edit becomes an immutable revision you can deploy or roll back to.
            </p>
            {canEdit ? (
              <Link href={`${base}/new`} className="mt-3 inline-block font-medium text-sky-700 underline">
                Create the first workflow
              </Link>
            ) : null}
          </EmptyState>
        )
      ) : null}
      {items.length > 0 ? (
        <Card className="overflow-hidden">
          <ul className="divide-y divide-slate-100">
            {items.map((w) => (
              <li key={w.id} className="flex flex-col gap-2 px-4 py-3 sm:flex-row sm:items-center sm:gap-4">
                <div className="min-w-0 flex-1">
                  <Link href={`${base}/${w.id}`} className="font-medium text-sky-700 hover:underline">
                    {w.name}
                  </Link>
                  {w.description ? <p className="truncate text-sm text-slate-500">{w.description}</p> : null}
                </div>
                <div className="flex flex-wrap items-center gap-2 text-sm text-slate-500">
                  {w.kinds.map((k) => (
                    <Badge key={k} tone={k === "compose" ? "blue" : "violet"}>
                      {k}
                    </Badge>
                  ))}
                  <span>
                    {w.serviceCount} service{w.serviceCount === 1 ? "" : "s"}
                  </span>
                  {w.latestRevision ? <span>· r{w.latestRevision.number}</span> : null}
                  {w.lastDeployment ? <StatusBadge status={w.lastDeployment.status} /> : null}
                  <span className="sm:w-28 sm:text-right">
                    <RelativeTime date={w.updatedAt} />
                  </span>
                </div>
              </li>
            ))}
          </ul>
        </Card>
      ) : null}
      <LoadMore query={query} label="Load more" />
      <ArtifactsSection />
    </>
  );
}
