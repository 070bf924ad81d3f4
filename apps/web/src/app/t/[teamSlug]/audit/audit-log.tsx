"use client";
import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { AuditIcon } from "@/components/dashboard/icons";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Button, Card, EmptyState, ErrorNotice, LoadMore, PageHeader, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import { DeploymentGroupRow, EventRow } from "./audit-rows";
import { groupAuditEvents } from "./group-events";

interface Filter {
  kind: string;
  actorId: string;
  /** yyyy-mm-dd from the date inputs, in the browser's time zone. */
  from: string;
  to: string;
}

function toRange(filter: Filter) {
  const day = (value: string, addDays = 0) => {
    if (!value) return undefined;
    const date = new Date(`${value}T00:00:00`);
    date.setDate(date.getDate() + addDays);
    return Number.isNaN(date.getTime()) ? undefined : date;
  };
  // "to" is inclusive in the form: events up to the end of that day.
  return { from: day(filter.from), to: day(filter.to, 1) };
}

function exportHref(teamId: string, filter: Filter, format: "csv" | "json") {
  const params = new URLSearchParams({ teamId, format });
  const { from, to } = toRange(filter);
  if (filter.kind) params.set("kind", filter.kind);
  if (filter.actorId) params.set("actorId", filter.actorId);
  if (from) params.set("from", from.toISOString());
  if (to) params.set("to", to.toISOString());
  return `/api/audit/export?${params}`;
}

const selectClass = "block w-full rounded-md border border-slate-300 bg-white px-2 py-2 text-sm";

export function AuditLog() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const [filter, setFilter] = useState<Filter>({ kind: "", actorId: "", from: "", to: "" });
  const facets = useQuery(trpc.audit.facets.queryOptions({ teamId: team.id }));
  const range = toRange(filter);
  const query = useInfiniteQuery({
    ...trpc.audit.list.infiniteQueryOptions(
      {
        teamId: team.id,
        limit: 50,
        ...(filter.kind ? { kind: filter.kind } : {}),
        ...(filter.actorId ? { actorId: filter.actorId } : {}),
        ...(range.from ? { from: range.from } : {}),
        ...(range.to ? { to: range.to } : {}),
      },
      { getNextPageParam: (page) => page.nextCursor },
    ),
    placeholderData: keepPreviousData,
  });
  const events = query.data?.pages.flatMap((p) => p.items) ?? [];
  const kinds = facets.data?.kinds ?? [];
  const groups = [...new Set(kinds.map((k) => k.split(".")[0]!))].map((g) => `${g}.*`);
  const filtered = Boolean(filter.kind || filter.actorId || filter.from || filter.to);
  const update = (patch: Partial<Filter>) => setFilter((f) => ({ ...f, ...patch }));

  return (
    <>
      <PageHeader
        title="Audit"
        description="Every change in this team, newest first. Events cannot be edited or deleted."
      />
      <form
        className="mb-4 grid gap-3 sm:grid-cols-2 lg:grid-cols-[1fr_1fr_auto_auto_auto]"
        aria-label="Filter events"
        onSubmit={(e) => e.preventDefault()}
      >
        <label className="space-y-1 text-sm font-medium text-slate-700">
          <span>Kind</span>
          <select
            value={filter.kind}
            onChange={(e) => update({ kind: e.target.value })}
            className={selectClass}
          >
            <option value="">All kinds</option>
            {groups.length > 0 ? (
              <optgroup label="Groups">
                {groups.map((g) => (
                  <option key={g} value={g}>
                    {g}
                  </option>
                ))}
              </optgroup>
            ) : null}
            <optgroup label="Kinds">
              {kinds.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </optgroup>
          </select>
        </label>
        <label className="space-y-1 text-sm font-medium text-slate-700">
          <span>Actor</span>
          <select
            value={filter.actorId}
            onChange={(e) => update({ actorId: e.target.value })}
            className={selectClass}
          >
            <option value="">Everyone</option>
            {(facets.data?.actors ?? []).map((a) => (
              <option key={a.id} value={a.id}>
                {a.label ?? a.id} ({a.type.toLowerCase().replace("_", " ")})
              </option>
            ))}
          </select>
        </label>
        <label className="space-y-1 text-sm font-medium text-slate-700">
          <span>From</span>
          <input
            type="date"
            value={filter.from}
            onChange={(e) => update({ from: e.target.value })}
            className={selectClass}
          />
        </label>
        <label className="space-y-1 text-sm font-medium text-slate-700">
          <span>To</span>
          <input
            type="date"
            value={filter.to}
            onChange={(e) => update({ to: e.target.value })}
            className={selectClass}
          />
        </label>
        <div className="flex items-end gap-2">
          {filtered ? (
            <Button
              type="button"
              variant="secondary"
              onClick={() => setFilter({ kind: "", actorId: "", from: "", to: "" })}
            >
              Clear
            </Button>
          ) : null}
        </div>
      </form>
      <div className="mb-4 flex flex-wrap gap-2 text-sm">
        <span className="text-slate-600">Export {filtered ? "these events" : "all events"}:</span>
        <a href={exportHref(team.id, filter, "csv")} download className="font-medium text-sky-700 underline">
          CSV
        </a>
        <a href={exportHref(team.id, filter, "json")} download className="font-medium text-sky-700 underline">
          JSON
        </a>
      </div>
      {query.isPending ? <Spinner label="Loading events" /> : null}
      {query.isError ? (
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      ) : null}
      {query.isSuccess && events.length === 0 && filtered ? (
        <EmptyState title="No matching events">Try other filters or a wider time range.</EmptyState>
      ) : null}
      {query.isSuccess && events.length === 0 && !filtered ? (
        <EmptyState icon={<AuditIcon />} title="No events yet">
          Sign-ins, membership changes, host enrolments, deployments and secret writes will appear here.
        </EmptyState>
      ) : null}
      {events.length > 0 ? (
        <Card>
          <ul className="divide-y divide-slate-100" aria-label="Audit events">
            {groupAuditEvents(events).map((row) =>
              row.type === "event" ? (
                <EventRow key={row.event.id} event={row.event} />
              ) : (
                <DeploymentGroupRow key={`deployment:${row.deploymentId}`} events={row.events} />
              ),
            )}
          </ul>
        </Card>
      ) : null}
      <LoadMore query={query} label="Load older events" />
    </>
  );
}
