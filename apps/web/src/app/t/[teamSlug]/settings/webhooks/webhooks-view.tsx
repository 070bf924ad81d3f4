"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { ConfirmButton, Modal } from "@/components/status/dialog";
import { StatusBadge } from "@/components/status/status-badge";
import { RelativeTime } from "@/components/status/time";
import { Badge, Button, Card, EmptyState, ErrorNotice, PageHeader, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import { ShownOnce } from "../../team/shown-once";
import { DeliveryLog } from "./delivery-log";
import { EVENT_LABELS, WebhookForm, type WebhookFormValues } from "./webhook-form";

type EventType =
  | "deployment.succeeded"
  | "deployment.failed"
  | "deployment.unknown"
  | "host.offline"
  | "host.alert";

export function WebhooksView() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const canManage = team.role === "OWNER" || team.role === "ADMIN";
  // Refreshed now and then so "last delivery" follows the log below.
  const list = useQuery({ ...trpc.webhooks.list.queryOptions({ teamId: team.id }), refetchInterval: 10_000 });
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.webhooks.list.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.webhooks.deliveries.queryKey() }),
    ]);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [shown, setShown] = useState<{ label: string; secret: string } | null>(null);

  const create = useMutation(
    trpc.webhooks.create.mutationOptions({
      onSuccess: async (data) => {
        setAdding(false);
        setShown({ label: `Signing secret of ${data.webhook.name}`, secret: data.secret });
        await refresh();
      },
    }),
  );
  const update = useMutation(
    trpc.webhooks.update.mutationOptions({
      onSuccess: async () => {
        setEditing(null);
        await refresh();
      },
    }),
  );
  const remove = useMutation(trpc.webhooks.delete.mutationOptions({ onSettled: refresh }));
  const test = useMutation(trpc.webhooks.sendTest.mutationOptions({ onSettled: refresh }));
  const rotate = useMutation(
    trpc.webhooks.rotateSecret.mutationOptions({
      onSuccess: (data) => {
        const name = list.data?.find((w) => w.id === data.id)?.name ?? "the webhook";
        setShown({ label: `New signing secret of ${name}`, secret: data.secret });
      },
    }),
  );
  // Create and edit errors show inside their dialog; these show on the page.
  const failure = [remove, test, rotate].find((m) => m.isError);
  const toEvents = (events: string[]) => events as EventType[];
  const editingHook = list.data?.find((w) => w.id === editing);

  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Tell other systems when a deployment finishes or a host goes offline. Requests are signed (Capstan-Signature), retried with backoff and logged below."
        actions={
          canManage ? (
            <Button
              type="button"
              className="whitespace-nowrap"
              onClick={() => {
                create.reset();
                setAdding(true);
              }}
            >
              Add webhook
            </Button>
          ) : null
        }
      />
      <div className="space-y-10">
        {shown ? (
          <ShownOnce
            id="webhook-secret"
            label={shown.label}
            value={shown.secret}
            note="Copy it into the receiver now: it is not shown again. It verifies the Capstan-Signature header (see docs/user/webhooks.md)."
          />
        ) : null}
        {failure ? <ErrorNotice title="That did not work" message={errorMessage(failure.error)} /> : null}
        {list.isPending ? <Spinner label="Loading webhooks" /> : null}
        {list.isError ? (
          <ErrorNotice message={errorMessage(list.error)} onRetry={() => list.refetch()} />
        ) : null}
        {list.data && list.data.length === 0 ? (
          <EmptyState title="No webhooks yet">
            {canManage
              ? "Add one to post deployment results and host outages to Slack, a chat tool or your own service."
              : "An admin of this team can add webhooks."}
          </EmptyState>
        ) : null}
        {list.data && list.data.length > 0 ? (
          <Card>
            <ul className="divide-y divide-slate-100" aria-label="Webhooks">
              {list.data.map((w) => (
                <li key={w.id} className="flex flex-col gap-3 px-4 py-3 text-sm lg:flex-row lg:items-center">
                  <div className="min-w-0 flex-1 space-y-1">
                    <div className="flex flex-wrap items-center gap-2">
                      <span className="font-medium text-slate-900">{w.name}</span>
                      <Badge tone={w.format === "SLACK" ? "violet" : "blue"}>
                        {w.format === "SLACK" ? "Slack" : "JSON"}
                      </Badge>
                      {w.enabled ? null : <Badge tone="slate">disabled</Badge>}
                      {w.lastDelivery ? (
                        <span className="text-xs text-slate-500">
                          last: <StatusBadge status={w.lastDelivery.status} /> {w.lastDelivery.eventType}{" "}
                          <RelativeTime date={w.lastDelivery.createdAt} />
                        </span>
                      ) : null}
                    </div>
                    <div className="truncate font-mono text-xs text-slate-600" title={w.url}>
                      {w.url}
                    </div>
                    <div className="text-xs text-slate-500">
                      {w.events.map((e) => EVENT_LABELS[e] ?? e).join(" · ")}
                    </div>
                  </div>
                  {canManage ? (
                    <div className="flex flex-wrap gap-2">
                      <Button
                        type="button"
                        variant="secondary"
                        onClick={() => {
                          update.reset();
                          setEditing(w.id);
                        }}
                      >
                        Edit
                      </Button>
                      <Button
                        type="button"
                        variant="secondary"
                        disabled={test.isPending}
                        onClick={() => test.mutate({ teamId: team.id, webhookId: w.id })}
                      >
                        Send test
                      </Button>
                      <ConfirmButton
                        label="Roll secret"
                        title={`New signing secret for ${w.name}?`}
                        confirmLabel="Roll secret"
                        pending={rotate.isPending && rotate.variables?.webhookId === w.id}
                        onConfirm={() => rotate.mutate({ teamId: team.id, webhookId: w.id })}
                      >
                        Requests are signed with the new secret from now on; the receiver must be updated.
                      </ConfirmButton>
                      <ConfirmButton
                        label="Delete"
                        title={`Delete ${w.name}?`}
                        confirmLabel="Delete webhook"
                        variant="danger"
                        pending={remove.isPending && remove.variables?.webhookId === w.id}
                        onConfirm={() => remove.mutate({ teamId: team.id, webhookId: w.id })}
                      >
                        Its delivery log goes with it and pending deliveries are never sent.
                      </ConfirmButton>
                    </div>
                  ) : null}
                </li>
              ))}
            </ul>
          </Card>
        ) : null}
        <DeliveryLog webhooks={list.data ?? []} canManage={canManage} />
      </div>
      <Modal open={adding} onClose={() => setAdding(false)} title="Add webhook" wide>
        {create.isError ? (
          <div className="mb-4">
            <ErrorNotice title="Not added" message={errorMessage(create.error)} />
          </div>
        ) : null}
        <WebhookForm
          submitLabel="Add webhook"
          pending={create.isPending}
          onSubmit={(v: WebhookFormValues) =>
            create.mutate({ teamId: team.id, ...v, events: toEvents(v.events) })
          }
        />
      </Modal>
      <Modal open={editingHook !== undefined} onClose={() => setEditing(null)} title="Edit webhook" wide>
        {update.isError ? (
          <div className="mb-4">
            <ErrorNotice title="Not saved" message={errorMessage(update.error)} />
          </div>
        ) : null}
        {editingHook ? (
          <WebhookForm
            key={editingHook.id}
            initial={{
              name: editingHook.name,
              url: editingHook.url,
              format: editingHook.format,
              events: editingHook.events,
              enabled: editingHook.enabled,
            }}
            submitLabel="Save"
            pending={update.isPending}
            onSubmit={(v) =>
              update.mutate({ teamId: team.id, webhookId: editingHook.id, ...v, events: toEvents(v.events) })
            }
          />
        ) : null}
      </Modal>
    </>
  );
}
