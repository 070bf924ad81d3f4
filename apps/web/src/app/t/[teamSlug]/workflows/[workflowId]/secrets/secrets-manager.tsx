"use client";
// Secrets of one workflow: names and who saved them, set/replace one value, delete, and a .env
// import with a masked preview before anything is saved. Values are never shown after saving:
// the server has no procedure that returns one.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { ConfirmButton } from "@/components/status/dialog";
import { RelativeTime } from "@/components/status/time";
import { Badge, Button, Card, EmptyState, ErrorNotice, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import { type WorkflowDetail, WorkflowFrame } from "../../workflow-frame";
import { EnvImport } from "./env-import";

export function SecretsManager({ workflowId }: { workflowId: string }) {
  return <WorkflowFrame workflowId={workflowId}>{(w) => <Secrets workflow={w} />}</WorkflowFrame>;
}

function Secrets({ workflow }: { workflow: WorkflowDetail }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const canEdit = team.role === "OWNER" || team.role === "ADMIN";
  const input = { teamId: team.id, workflowId: workflow.id };
  const query = useQuery(trpc.secrets.list.queryOptions(input));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.secrets.list.queryKey(input) });
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [saved, setSaved] = useState<string | null>(null);
  const set = useMutation(
    trpc.secrets.set.mutationOptions({
      onSuccess: async (written) => {
        setValue("");
        setSaved(
          `${written.name} ${written.created ? "saved" : "replaced"}. The value is encrypted and cannot be shown again.`,
        );
        await refresh();
      },
    }),
  );
  const remove = useMutation(trpc.secrets.delete.mutationOptions({ onSuccess: () => refresh() }));
  const existing = new Set(query.data?.map((s) => s.name) ?? []);
  const missing = workflow.declaredSecrets.filter((n) => !existing.has(n));

  return (
    <div className="space-y-8">
      <section aria-labelledby="secrets-title" className="space-y-3">
        <h2 id="secrets-title" className="text-lg font-semibold text-slate-900">
          Secrets
        </h2>
        <p className="text-sm text-slate-600">
          Encrypted at rest and write-only: after saving, a value is never shown again, to anyone. Deploys
          fail rather than run with a missing or unreadable value.
        </p>
        {missing.length > 0 ? (
          <p className="rounded-md bg-amber-50 p-3 text-sm text-amber-800" data-testid="missing-secrets">
            Declared in the workflow but not set yet: <strong>{missing.join(", ")}</strong>
          </p>
        ) : null}
        {query.isPending ? <Spinner label="Loading secrets" /> : null}
        {query.isError ? (
          <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
        ) : null}
        {query.isSuccess && query.data.length === 0 ? (
          <EmptyState title="No secrets set">Set a value below or import a .env file.</EmptyState>
        ) : null}
        {query.data && query.data.length > 0 ? (
          <Card>
            <ul className="divide-y divide-slate-100" aria-label="Secrets">
              {query.data.map((s) => (
                <li key={s.id} className="flex flex-col gap-2 px-4 py-3 text-sm sm:flex-row sm:items-center">
                  <div className="min-w-0 flex-1">
                    <span className="font-mono font-medium">{s.name}</span>{" "}
                    <span className="font-mono text-slate-400" aria-hidden>
                      ••••••••
                    </span>
                    <span className="sr-only">(value hidden)</span>
                    {!workflow.declaredSecrets.includes(s.name) ? (
                      <span className="ml-2">
                        <Badge tone="amber">not used by the latest revision</Badge>
                      </span>
                    ) : null}
                    <div className="text-xs text-slate-500">
                      updated <RelativeTime date={s.updatedAt} />
                      {s.updatedBy ? ` by ${s.updatedBy.email}` : ""}
                    </div>
                  </div>
                  {canEdit ? (
                    <div className="flex gap-2">
                      <Button
                        type="button"
                        variant="secondary"
                        onClick={() => {
                          setName(s.name);
                          setSaved(null);
                          document.getElementById("secret-value")?.focus();
                        }}
                      >
                        Replace
                      </Button>
                      <ConfirmButton
                        label="Delete"
                        title={`Delete ${s.name}?`}
                        confirmLabel="Delete secret"
                        variant="danger"
                        pending={remove.isPending && remove.variables?.name === s.name}
                        onConfirm={() => remove.mutate({ ...input, name: s.name })}
                      >
                        Deploys of revisions that use {s.name} will fail until it is set again.
                      </ConfirmButton>
                    </div>
                  ) : null}
                </li>
              ))}
            </ul>
          </Card>
        ) : null}
        {remove.isError ? <ErrorNotice message={errorMessage(remove.error)} /> : null}
      </section>

      {canEdit ? (
        <section aria-labelledby="set-title" className="space-y-3">
          <h2 id="set-title" className="text-lg font-semibold text-slate-900">
            Set or replace a secret
          </h2>
          <form
            className="grid gap-3 sm:grid-cols-[1fr_2fr_auto] sm:items-end"
            onSubmit={(e) => {
              e.preventDefault();
              setSaved(null);
              set.mutate({ ...input, name: name.trim(), value });
            }}
          >
            <div className="space-y-1">
              <label htmlFor="secret-name" className="block text-sm font-medium text-slate-700">
                Name
              </label>
              <input
                id="secret-name"
                list="declared-secrets"
                value={name}
                onChange={(e) => setName(e.target.value.toUpperCase())}
                required
                pattern="[A-Z_][A-Z0-9_]*"
                placeholder="DB_PASSWORD"
                autoComplete="off"
                className="block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500/30"
              />
              <datalist id="declared-secrets">
                {workflow.declaredSecrets.map((n) => (
                  <option key={n} value={n} />
                ))}
              </datalist>
            </div>
            <div className="space-y-1">
              <label htmlFor="secret-value" className="block text-sm font-medium text-slate-700">
                Value
              </label>
              <input
                id="secret-value"
                type="password"
                value={value}
                onChange={(e) => setValue(e.target.value)}
                required
                autoComplete="new-password"
                className="block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500/30"
              />
            </div>
            <Button type="submit" disabled={set.isPending}>
              {set.isPending ? "Saving…" : existing.has(name.trim()) ? "Replace" : "Save"}
            </Button>
          </form>
          {set.isError ? (
            <p role="alert" className="rounded-md bg-red-50 p-3 text-sm text-red-800">
              {errorMessage(set.error)}
            </p>
          ) : null}
          {saved ? (
            <p role="status" className="rounded-md bg-emerald-50 p-3 text-sm text-emerald-800">
              {saved}
            </p>
          ) : null}
        </section>
      ) : (
        <p className="text-sm text-slate-500">Setting secrets needs the Admin role.</p>
      )}

      {canEdit ? <EnvImport workflowId={workflow.id} onSaved={refresh} /> : null}
    </div>
  );
}
