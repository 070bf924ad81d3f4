"use client";
import { useInfiniteQuery } from "@tanstack/react-query";
import { AuditIcon } from "@/components/dashboard/icons";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import {
  Badge,
  Button,
  Card,
  EmptyState,
  ErrorNotice,
  PageHeader,
  Spinner,
  type Tone,
} from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

const timeFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "medium" });

function kindTone(kind: string): Tone {
  if (/(failed|revoked|removed|deleted)$/.test(kind)) return "red";
  if (kind.startsWith("deployment.")) return "blue";
  if (kind.startsWith("member.") || kind.startsWith("invitation.")) return "violet";
  if (kind.startsWith("setup.") || kind.endsWith("signed_in")) return "green";
  return "slate";
}

export function AuditLog() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const query = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(
      { teamId: team.id, limit: 50 },
      { getNextPageParam: (page) => page.nextCursor },
    ),
  );
  const events = query.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <PageHeader
        title="Audit"
        description="Every change in this team, newest first. Events cannot be edited or deleted."
      />
      {query.isPending ? <Spinner label="Loading events" /> : null}
      {query.isError ? (
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      ) : null}
      {query.isSuccess && events.length === 0 ? (
        <EmptyState icon={<AuditIcon />} title="No events yet">
          Sign-ins, membership changes, host enrolments, deployments and secret writes will appear here.
        </EmptyState>
      ) : null}
      {events.length > 0 ? (
        <Card>
          <ul className="divide-y divide-slate-100">
            {events.map((e) => (
              <li
                key={e.id}
                className="flex flex-col gap-1 px-4 py-3 text-sm sm:flex-row sm:items-center sm:gap-4"
              >
                <time
                  className="shrink-0 text-xs tabular-nums text-slate-500 sm:w-48"
                  dateTime={e.createdAt.toISOString()}
                >
                  {timeFormat.format(e.createdAt)}
                </time>
                <span className="shrink-0 sm:w-48">
                  <Badge tone={kindTone(e.kind)}>{e.kind}</Badge>
                </span>
                <span className="min-w-0 truncate text-slate-700">
                  {e.actorLabel ?? e.actorType.toLowerCase()}
                  {e.targetType ? <span className="text-slate-400"> → {e.targetType}</span> : null}
                </span>
              </li>
            ))}
          </ul>
        </Card>
      ) : null}
      {query.hasNextPage ? (
        <div className="mt-4 flex justify-center">
          <Button
            variant="secondary"
            onClick={() => query.fetchNextPage()}
            disabled={query.isFetchingNextPage}
          >
            {query.isFetchingNextPage ? "Loading…" : "Load older events"}
          </Button>
        </div>
      ) : null}
    </>
  );
}
