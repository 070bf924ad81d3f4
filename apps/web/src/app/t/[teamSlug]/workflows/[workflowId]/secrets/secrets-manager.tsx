"use client";
// Secrets of one workflow: names and who saved them, set/replace one value, delete, and a .env
// import with a masked preview before anything is saved. Values are never shown after saving:
// the server has no procedure that returns one.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { focusSecretValue, SecretForm, SecretList } from "@/components/secrets/secret-editor";
import { Badge, EmptyState, ErrorNotice, Spinner } from "@/components/ui";
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
  const teamSecrets = useQuery(trpc.secrets.listTeam.queryOptions({ teamId: team.id }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.secrets.list.queryKey(input) });
  const [name, setName] = useState("");
  const set = useMutation(trpc.secrets.set.mutationOptions({ onSuccess: () => refresh() }));
  const remove = useMutation(trpc.secrets.delete.mutationOptions({ onSuccess: () => refresh() }));
  const existing = new Set(query.data?.map((s) => s.name) ?? []);
  const fromTeam = new Set(teamSecrets.data?.map((s) => s.name) ?? []);
  const unset = workflow.declaredSecrets.filter((n) => !existing.has(n));
  const missing = unset.filter((n) => !fromTeam.has(n));
  const shared = unset.filter((n) => fromTeam.has(n));

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
        {shared.length > 0 ? (
          <p className="rounded-md bg-sky-50 p-3 text-sm text-sky-900" data-testid="team-secrets-used">
            From the team&apos;s secrets: <strong>{shared.join(", ")}</strong>. Set one here to override it
            for this workflow only (
            <Link className="underline" href={`/t/${team.slug}/settings/secrets`}>
              team secrets
            </Link>
            ).
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
          <SecretList
            rows={query.data}
            canEdit={canEdit}
            onReplace={(n) => {
              setName(n);
              focusSecretValue();
            }}
            onDelete={(n) => remove.mutate({ ...input, name: n })}
            deleting={remove.isPending ? (remove.variables?.name ?? null) : null}
            extra={(s) =>
              !workflow.declaredSecrets.includes(s.name) ? (
                <span className="ml-2">
                  <Badge tone="amber">not used by the latest revision</Badge>
                </span>
              ) : fromTeam.has(s.name) ? (
                <span className="ml-2">
                  <Badge tone="blue">overrides the team secret</Badge>
                </span>
              ) : null
            }
            deleteWarning={(n) =>
              fromTeam.has(n)
                ? `Deploys will use the team's ${n} again.`
                : `Deploys of revisions that use ${n} will fail until it is set again.`
            }
          />
        ) : null}
        {remove.isError ? <ErrorNotice message={errorMessage(remove.error)} /> : null}
      </section>

      {canEdit ? (
        <section aria-labelledby="set-title" className="space-y-3">
          <h2 id="set-title" className="text-lg font-semibold text-slate-900">
            Set or replace a secret
          </h2>
          <SecretForm
            name={name}
            setName={setName}
            suggestions={workflow.declaredSecrets}
            existing={existing}
            save={(n, value) => set.mutateAsync({ ...input, name: n, value })}
          />
        </section>
      ) : (
        <p className="text-sm text-slate-500">Setting secrets needs the Admin role.</p>
      )}

      {canEdit ? <EnvImport workflowId={workflow.id} onSaved={refresh} /> : null}
    </div>
  );
}
