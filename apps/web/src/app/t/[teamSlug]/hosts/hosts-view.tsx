"use client";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useDeferredValue, useState } from "react";
import { HostsIcon } from "@/components/dashboard/icons";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { StatusBadge } from "@/components/status/status-badge";
import { formatAbsolute, RelativeTime } from "@/components/status/time";
import { Button, Card, EmptyState, ErrorNotice, LoadMore, PageHeader, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import { AddHostButton } from "./add-host-dialog";

const STATUSES = ["ONLINE", "OFFLINE", "PENDING", "REVOKED"] as const;
type HostStatus = (typeof STATUSES)[number];

function factsLine(facts: Record<string, unknown>): string {
  const f = facts as Record<string, string | number | undefined>;
  const memory =
    typeof f.memoryBytes === "number" ? `${Math.round(f.memoryBytes / 1024 ** 3)} GiB` : undefined;
  return [f.os ?? f.osName, f.arch, f.cpus ? `${f.cpus} CPU` : undefined, memory]
    .filter((x) => x !== undefined && x !== "")
    .join(" · ");
}

export function HostsView({ publicUrl }: { publicUrl: string | null }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const [status, setStatus] = useState<HostStatus | "">("");
  const [searchText, setSearchText] = useState("");
  const search = useDeferredValue(searchText.trim());
  const filtered = status !== "" || search !== "";
  const query = useInfiniteQuery(
    trpc.hosts.page.infiniteQueryOptions(
      { teamId: team.id, limit: 25, status: status || undefined, search: search || undefined },
      { getNextPageParam: (page) => page.nextCursor, refetchInterval: 15_000 },
    ),
  );
  const hosts = query.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <PageHeader
        title="Hosts"
        description="Servers with an enrolled Capstan agent."
        actions={<AddHostButton publicUrl={publicUrl} />}
      />
      <div className="mb-4 flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-end">
        <label className="flex items-center gap-2 text-sm text-slate-600">
          <span className="sr-only sm:not-sr-only">Search</span>
          <input
            type="search"
            value={searchText}
            onChange={(e) => setSearchText(e.target.value)}
            placeholder="name or role=web"
            className="w-full rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm sm:w-56"
            aria-label="Search hosts by name or label"
          />
        </label>
        <label className="flex items-center gap-2 text-sm text-slate-600">
          Status
          <select
            value={status}
            onChange={(e) => setStatus(e.target.value as HostStatus | "")}
            className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm"
          >
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.charAt(0) + s.slice(1).toLowerCase()}
              </option>
            ))}
          </select>
        </label>
      </div>

      {query.isPending ? <Spinner label="Loading hosts" /> : null}
      {query.isError ? (
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      ) : null}
      {query.isSuccess && hosts.length === 0 ? (
        filtered ? (
          <p className="rounded-md border border-slate-200 bg-white p-6 text-center text-sm text-slate-600">
            No hosts match this filter.
          </p>
        ) : (
          <EmptyState icon={<HostsIcon />} title="No hosts yet">
            <p>
              Enrol your first server: an admin creates a one-time enrollment token and runs the install
              command it shows on the server. The agent dials out over HTTPS, so hosts behind NAT or a
              firewall work too.
            </p>
          </EmptyState>
        )
      ) : null}
      {hosts.length > 0 ? (
        <Card>
          <div className="hidden grid-cols-[minmax(0,2fr)_7rem_minmax(0,2fr)_minmax(0,1fr)_8rem] gap-4 border-b border-slate-100 bg-slate-50 px-4 py-2 text-xs font-medium uppercase tracking-wide text-slate-500 lg:grid">
            <span>Host</span>
            <span>Status</span>
            <span>Labels</span>
            <span>Services</span>
            <span className="text-right">Last seen</span>
          </div>
          <ul className="divide-y divide-slate-100">
            {hosts.map((h) => (
              <li key={h.id}>
                <Link
                  href={`/t/${team.slug}/hosts/${h.id}`}
                  className="grid grid-cols-1 gap-1 px-4 py-3 text-sm hover:bg-slate-50 focus-visible:bg-slate-50 focus-visible:outline-none lg:grid-cols-[minmax(0,2fr)_7rem_minmax(0,2fr)_minmax(0,1fr)_8rem] lg:items-center lg:gap-4"
                  data-testid="host-row"
                >
                  <span className="min-w-0">
                    <span className="block truncate font-medium text-slate-900">{h.name}</span>
                    <span className="block truncate text-xs text-slate-500">
                      {factsLine(h.facts) || "no facts reported yet"}
                      {h.agentVersion ? ` · agent ${h.agentVersion}` : ""}
                    </span>
                  </span>
                  <span>
                    <StatusBadge status={h.status} />
                  </span>
                  <span className="flex min-w-0 flex-wrap gap-1">
                    {Object.entries(h.labels).map(([k, v]) => (
                      <span
                        key={k}
                        className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700"
                      >
                        {k}={v}
                      </span>
                    ))}
                  </span>
                  <span className="text-xs text-slate-600">
                    {h.services.total === 0
                      ? "none"
                      : h.services.notHealthy > 0
                        ? `${h.services.notHealthy} of ${h.services.total} not healthy`
                        : `${h.services.total} healthy`}
                  </span>
                  <span className="text-xs text-slate-500 lg:text-right">
                    <RelativeTime date={h.lastSeenAt} />
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        </Card>
      ) : null}
      <LoadMore query={query} label="Load more hosts" />
      {team.role === "OWNER" || team.role === "ADMIN" ? <EnrollmentTokens /> : null}
    </>
  );
}

/** Tokens that can still enroll a host, so an admin can revoke one that leaked or is not needed. */
function EnrollmentTokens() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const query = useQuery(trpc.enrollment.list.queryOptions({ teamId: team.id }));
  const revoke = useMutation(
    trpc.enrollment.revoke.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.enrollment.list.pathKey() }),
    }),
  );
  const active = query.data?.filter((t) => t.status === "ACTIVE") ?? [];
  if (active.length === 0 && !query.isError) return null;
  return (
    <section aria-labelledby="tokens-heading" className="mt-10">
      <h2 id="tokens-heading" className="mb-3 text-base font-semibold text-slate-900">
        Unused enrollment tokens
      </h2>
      {query.isError ? (
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      ) : null}
      {revoke.isError ? <ErrorNotice message={errorMessage(revoke.error)} /> : null}
      <Card>
        <ul className="divide-y divide-slate-100">
          {active.map((t) => (
            <li
              key={t.id}
              className="flex flex-col gap-2 px-4 py-3 text-sm sm:flex-row sm:items-center sm:justify-between"
            >
              <span>
                <span className="font-medium text-slate-900">{t.hostName ?? "any host name"}</span>
                {Object.keys(t.labels).length ? (
                  <span className="ml-2 font-mono text-xs text-slate-500">
                    {Object.entries(t.labels)
                      .map(([k, v]) => `${k}=${v}`)
                      .join(" ")}
                  </span>
                ) : null}
                <span className="block text-xs text-slate-500">expires {formatAbsolute(t.expiresAt)}</span>
              </span>
              <Button
                type="button"
                variant="secondary"
                disabled={revoke.isPending}
                onClick={() => revoke.mutate({ teamId: team.id, tokenId: t.id })}
              >
                Revoke token
              </Button>
            </li>
          ))}
        </ul>
      </Card>
    </section>
  );
}
