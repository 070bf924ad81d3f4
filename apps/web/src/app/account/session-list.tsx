"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Badge, Button, Card, ErrorNotice, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

const when = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });

/** The user's live sessions (this one marked) with revoke one / revoke all others. */
export function SessionList() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const query = useQuery(trpc.account.sessions.queryOptions());
  const revoke = useMutation(
    trpc.account.revokeSession.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.account.sessions.queryKey() }),
    }),
  );
  const others = query.data?.filter((s) => !s.current).length ?? 0;

  return (
    <section aria-labelledby="sessions-title" className="space-y-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id="sessions-title" className="text-lg font-semibold text-slate-900">
          Sessions
        </h2>
        <Button
          type="button"
          variant="secondary"
          disabled={others === 0 || revoke.isPending}
          onClick={() => revoke.mutate({ others: true })}
        >
          Sign out all other sessions
        </Button>
      </div>
      <p className="text-sm text-slate-600">
        Every browser you signed in with. Signing one out ends it at once, on its next request.
      </p>
      {query.isPending ? <Spinner label="Loading sessions" /> : null}
      {query.isError ? (
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      ) : null}
      {revoke.isError ? <ErrorNotice title="Not signed out" message={errorMessage(revoke.error)} /> : null}
      {query.data ? (
        <Card>
          <ul className="divide-y divide-slate-100" data-testid="session-list">
            {query.data.map((s) => (
              <li key={s.id} className="flex flex-wrap items-center justify-between gap-3 px-4 py-3 text-sm">
                <div className="min-w-0">
                  <div className="flex items-center gap-2 font-medium text-slate-900">
                    <span className="truncate">{s.userAgent ?? "Unknown browser"}</span>
                    {s.current ? <Badge tone="green">This session</Badge> : null}
                  </div>
                  <div className="text-slate-500">
                    {s.address ?? "address unknown"} · signed in {when.format(s.createdAt)} · last seen{" "}
                    {when.format(s.lastSeenAt)}
                  </div>
                </div>
                {s.current ? null : (
                  <Button
                    type="button"
                    variant="secondary"
                    disabled={revoke.isPending}
                    onClick={() => revoke.mutate({ sessionId: s.id })}
                  >
                    Sign out
                  </Button>
                )}
              </li>
            ))}
          </ul>
        </Card>
      ) : null}
    </section>
  );
}
