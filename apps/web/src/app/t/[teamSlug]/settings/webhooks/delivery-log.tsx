"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { StatusBadge } from "@/components/status/status-badge";
import { RelativeTime } from "@/components/status/time";
import { Button, Card, ErrorNotice, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

type Status = "PENDING" | "SUCCEEDED" | "FAILED";

/** Every delivery, newest first; refreshed every few seconds while the page is open. */
export function DeliveryLog({
  webhooks,
  canManage,
}: {
  webhooks: { id: string; name: string }[];
  canManage: boolean;
}) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const [webhookId, setWebhookId] = useState<string>("");
  const [status, setStatus] = useState<Status | "">("");
  const [cursor, setCursor] = useState<string | null>(null);
  const input = { teamId: team.id, webhookId: webhookId || null, status: status || null, cursor, limit: 50 };
  const query = useQuery({ ...trpc.webhooks.deliveries.queryOptions(input), refetchInterval: 5000 });
  const retry = useMutation(
    trpc.webhooks.retryDelivery.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.deliveries.queryKey() }),
    }),
  );

  return (
    <section aria-labelledby="deliveries-title" className="space-y-3">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
        <h2 id="deliveries-title" className="text-lg font-semibold text-slate-900">
          Delivery log
        </h2>
        <div className="flex gap-2">
          <label className="sr-only" htmlFor="delivery-webhook">
            Webhook
          </label>
          <select
            id="delivery-webhook"
            value={webhookId}
            onChange={(e) => {
              setWebhookId(e.target.value);
              setCursor(null);
            }}
            className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm"
          >
            <option value="">All webhooks</option>
            {webhooks.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
          <label className="sr-only" htmlFor="delivery-status">
            Status
          </label>
          <select
            id="delivery-status"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as Status | "");
              setCursor(null);
            }}
            className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm"
          >
            <option value="">Any status</option>
            <option value="PENDING">Pending / retrying</option>
            <option value="SUCCEEDED">Delivered</option>
            <option value="FAILED">Failed</option>
          </select>
        </div>
      </div>
      {query.isPending ? <Spinner label="Loading deliveries" /> : null}
      {query.isError ? (
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      ) : null}
      {retry.isError ? <ErrorNotice title="Not sent again" message={errorMessage(retry.error)} /> : null}
      {query.data && query.data.items.length === 0 ? (
        <p className="text-sm text-slate-500">
          No deliveries yet. Events are delivered within a few seconds.
        </p>
      ) : null}
      {query.data && query.data.items.length > 0 ? (
        <Card>
          <ul className="divide-y divide-slate-100" aria-label="Webhook deliveries">
            {query.data.items.map((d) => (
              <li key={d.id} className="px-4 py-3 text-sm">
                <details>
                  <summary className="flex cursor-pointer flex-wrap items-center gap-x-3 gap-y-1">
                    <StatusBadge
                      status={d.status}
                      label={d.status === "SUCCEEDED" ? "Delivered" : undefined}
                    />
                    <span className="font-mono text-xs text-slate-700">{d.eventType}</span>
                    <span className="text-slate-900">{d.webhook.name}</span>
                    <span className="text-xs text-slate-500">
                      <RelativeTime date={d.createdAt} /> · {d.attempts} attempt{d.attempts === 1 ? "" : "s"}
                      {d.responseStatus !== null ? ` · HTTP ${d.responseStatus}` : ""}
                      {d.nextAttemptAt && d.attempts > 0 ? (
                        <>
                          {" "}
                          · next try <RelativeTime date={d.nextAttemptAt} />
                        </>
                      ) : null}
                    </span>
                    {d.lastError ? <span className="text-xs text-red-700">{d.lastError}</span> : null}
                  </summary>
                  <div className="mt-3 space-y-3">
                    <p className="text-xs text-slate-500">
                      Delivery id <span className="font-mono">{d.id}</span> (Capstan-Delivery header) · audit
                      event {d.auditEventId}
                    </p>
                    {d.attemptLog.length > 0 ? (
                      <table className="text-xs">
                        <thead>
                          <tr className="text-left text-slate-500">
                            <th className="pr-4 font-medium">Attempt at</th>
                            <th className="pr-4 font-medium">Answer</th>
                            <th className="pr-4 font-medium">Time</th>
                          </tr>
                        </thead>
                        <tbody>
                          {d.attemptLog.map((a) => (
                            <tr key={a.at}>
                              <td className="pr-4">{new Date(a.at).toLocaleString()}</td>
                              <td className="pr-4">{a.error ?? `HTTP ${a.status}`}</td>
                              <td className="pr-4">{a.ms} ms</td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    ) : null}
                    <pre className="max-h-64 overflow-auto rounded bg-slate-50 p-3 text-xs text-slate-800">
                      {prettyJson(d.body)}
                    </pre>
                    {canManage && d.status === "FAILED" ? (
                      <Button
                        type="button"
                        variant="secondary"
                        disabled={retry.isPending}
                        onClick={() => retry.mutate({ teamId: team.id, deliveryId: d.id })}
                      >
                        Send again
                      </Button>
                    ) : null}
                  </div>
                </details>
              </li>
            ))}
          </ul>
        </Card>
      ) : null}
      <div className="flex gap-2">
        {cursor ? (
          <Button type="button" variant="secondary" onClick={() => setCursor(null)}>
            Newest
          </Button>
        ) : null}
        {query.data?.nextCursor ? (
          <Button type="button" variant="secondary" onClick={() => setCursor(query.data.nextCursor)}>
            Older
          </Button>
        ) : null}
      </div>
    </section>
  );
}

function prettyJson(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
