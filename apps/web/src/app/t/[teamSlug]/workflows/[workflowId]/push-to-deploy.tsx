"use client";
// The workflow's push-to-deploy webhook: its URL, how to add it at GitHub, GitLab or
// Gitea/Forgejo, the branch filter, and the recent deliveries. The secret is shown once, after
// creating or rotating it.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { ConfirmButton } from "@/components/status/dialog";
import { RelativeTime } from "@/components/status/time";
import { Badge, Button, Card, ErrorNotice, Field, Spinner, type Tone } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import { ShownOnce } from "../../team/shown-once";

const STATUS_TONES: Record<string, Tone> = {
  DEPLOYED: "green",
  FAILED: "red",
  REJECTED: "red",
  PING: "blue",
  IGNORED_BRANCH: "slate",
  IGNORED_EVENT: "slate",
  DISABLED: "amber",
};

const parseBranches = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((b) => b.trim())
    .filter(Boolean);

export function PushToDeploy({ workflowId }: { workflowId: string }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const canManage = team.role === "OWNER" || team.role === "ADMIN";
  const input = { teamId: team.id, workflowId };
  const hook = useQuery(trpc.pushHooks.get.queryOptions(input));
  const [shown, setShown] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.pushHooks.get.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.pushHooks.deliveries.queryKey() }),
    ]);
  const create = useMutation(
    trpc.pushHooks.create.mutationOptions({
      onSuccess: async (data) => {
        setShown(data.secret);
        await refresh();
      },
    }),
  );
  const update = useMutation(trpc.pushHooks.update.mutationOptions({ onSuccess: refresh }));
  const rotate = useMutation(
    trpc.pushHooks.rotateSecret.mutationOptions({ onSuccess: (d) => setShown(d.secret) }),
  );
  const remove = useMutation(
    trpc.pushHooks.delete.mutationOptions({
      onSuccess: async () => {
        setShown(null);
        await refresh();
      },
    }),
  );
  const failure = [create, update, rotate, remove].find((m) => m.isError);
  const url = hook.data && typeof window !== "undefined" ? `${window.location.origin}${hook.data.path}` : "";

  return (
    <section aria-labelledby="push-title" className="space-y-3">
      <h2 id="push-title" className="text-lg font-semibold text-slate-900">
        Push to deploy
      </h2>
      {failure ? <ErrorNotice title="That did not work" message={errorMessage(failure.error)} /> : null}
      {shown ? (
        <ShownOnce
          id="push-hook-secret"
          label="Push hook secret"
          value={shown}
          note="Copy it into your Git provider's webhook settings now: it is not shown again."
        />
      ) : null}
      {hook.isPending ? <Spinner label="Loading push hook" /> : null}
      {hook.isError ? (
        <ErrorNotice message={errorMessage(hook.error)} onRetry={() => hook.refetch()} />
      ) : null}
      {hook.isSuccess && !hook.data ? (
        <Card className="space-y-3 p-4 text-sm">
          <p className="text-slate-600">
            A webhook URL for GitHub, GitLab, Gitea or Forgejo: a push to a matching branch deploys this
            workflow's latest revision at the pushed commit.
          </p>
          {canManage ? (
            <BranchForm
              initial={["main"]}
              submitLabel="Turn on push to deploy"
              pending={create.isPending}
              onSubmit={(branches) => create.mutate({ ...input, branches })}
            />
          ) : (
            <p className="text-slate-500">An admin of this team can turn it on.</p>
          )}
        </Card>
      ) : null}
      {hook.data ? (
        <Card className="space-y-4 p-4 text-sm">
          <div className="flex flex-wrap items-center gap-2">
            <span className="font-medium text-slate-700">URL</span>
            <code className="break-all rounded bg-slate-100 px-2 py-1 text-xs" data-testid="push-hook-url">
              {url}
            </code>
            {hook.data.enabled ? <Badge tone="green">on</Badge> : <Badge tone="amber">paused</Badge>}
          </div>
          {editing ? (
            <BranchForm
              initial={hook.data.branches}
              submitLabel="Save branches"
              pending={update.isPending}
              onSubmit={(branches) =>
                update.mutate({ ...input, branches }, { onSuccess: () => setEditing(false) })
              }
            />
          ) : (
            <p>
              Branches: <span className="font-mono">{hook.data.branches.join(", ")}</span>
            </p>
          )}
          <ProviderHelp />
          {canManage ? (
            <div className="flex flex-wrap gap-2">
              <Button type="button" variant="secondary" onClick={() => setEditing(!editing)}>
                Edit branches
              </Button>
              <Button
                type="button"
                variant="secondary"
                onClick={() => update.mutate({ ...input, enabled: !hook.data?.enabled })}
              >
                {hook.data.enabled ? "Pause" : "Resume"}
              </Button>
              <ConfirmButton
                label="Rotate secret"
                title="Rotate the push hook secret?"
                confirmLabel="Rotate"
                pending={rotate.isPending}
                onConfirm={() => rotate.mutate(input)}
              >
                Pushes signed with the old secret are refused from now on; paste the new one into your Git
                provider.
              </ConfirmButton>
              <ConfirmButton
                label="Turn off"
                title="Turn off push to deploy?"
                confirmLabel="Turn off"
                variant="danger"
                pending={remove.isPending}
                onConfirm={() => remove.mutate(input)}
              >
                The URL stops working and the delivery log is deleted.
              </ConfirmButton>
            </div>
          ) : null}
          <Deliveries workflowId={workflowId} />
        </Card>
      ) : null}
    </section>
  );
}

function BranchForm(props: {
  initial: string[];
  submitLabel: string;
  pending: boolean;
  onSubmit: (branches: string[]) => void;
}) {
  const [text, setText] = useState(props.initial.join(" "));
  return (
    <form
      className="flex flex-wrap items-end gap-3"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        props.onSubmit(parseBranches(text));
      }}
    >
      <div className="min-w-64 flex-1">
        <Field
          id="push-branches"
          label="Branches"
          hint="Names or globs, separated by spaces or commas: main release/*"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      </div>
      <Button type="submit" disabled={props.pending}>
        {props.submitLabel}
      </Button>
    </form>
  );
}

function ProviderHelp() {
  return (
    <details className="rounded-md border border-slate-200 p-3">
      <summary className="cursor-pointer font-medium text-slate-700">
        How to add it to your Git provider
      </summary>
      <ul className="mt-2 list-disc space-y-1 pl-5 text-slate-600">
        <li>
          <strong>GitHub</strong>: Settings → Webhooks → Add webhook. Payload URL: the URL above; content type{" "}
          <code>application/json</code>; secret: the push hook secret; events: just the push event.
        </li>
        <li>
          <strong>GitLab</strong>: Settings → Webhooks. URL: the URL above; secret token: the push hook
          secret; trigger: push events.
        </li>
        <li>
          <strong>Gitea / Forgejo</strong>: Settings → Webhooks → Add webhook → Gitea (or Forgejo). Target
          URL: the URL above; content type <code>application/json</code>; secret: the push hook secret;
          trigger: push events.
        </li>
        <li>
          <strong>Anything else</strong>: POST <code>{'{"ref", "commit", "deliveryId"}'}</code> with{" "}
          <code>X-Capstan-Signature: sha256=&lt;hex HMAC-SHA256 of the body&gt;</code> (see
          docs/user/webhooks.md).
        </li>
      </ul>
    </details>
  );
}

function Deliveries({ workflowId }: { workflowId: string }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const list = useQuery({
    ...trpc.pushHooks.deliveries.queryOptions({ teamId: team.id, workflowId, limit: 20 }),
    refetchInterval: 10_000,
  });
  if (list.isPending) return <Spinner label="Loading deliveries" />;
  if (list.isError) return <ErrorNotice message={errorMessage(list.error)} onRetry={() => list.refetch()} />;
  if (list.data.length === 0) return <p className="text-slate-500">No deliveries yet.</p>;
  return (
    <div className="space-y-2">
      <h3 className="font-semibold text-slate-900">Recent deliveries</h3>
      <ul className="divide-y divide-slate-100" aria-label="Push deliveries">
        {list.data.map((d) => (
          <li key={d.id} className="flex flex-wrap items-center gap-2 py-2" data-testid="push-delivery">
            <Badge tone={STATUS_TONES[d.status] ?? "slate"}>{d.status.toLowerCase().replace("_", " ")}</Badge>
            <span className="text-slate-500">{d.provider}</span>
            {d.ref ? <span className="font-mono text-xs">{d.ref.replace(/^refs\/heads\//, "")}</span> : null}
            {d.commit ? (
              <span className="font-mono text-xs" title={d.commit}>
                {d.commit.slice(0, 7)}
              </span>
            ) : null}
            {d.error ? <span className="text-red-700">{d.error}</span> : null}
            <span className="ml-auto text-xs text-slate-500">
              <RelativeTime date={d.receivedAt} />
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
