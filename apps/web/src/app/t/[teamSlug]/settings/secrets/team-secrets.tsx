"use client";
// The team's own secrets: any workflow may name one in `secrets:` and gets its value at deploy
// time unless it sets its own of that name. Write-only like a workflow's, with where each is used.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { focusSecretValue, SecretForm, SecretList } from "@/components/secrets/secret-editor";
import { EmptyState, ErrorNotice, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import { UsedBy } from "./used-by";

export function TeamSecrets() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const canEdit = team.role === "OWNER" || team.role === "ADMIN";
  const input = { teamId: team.id };
  // Always fresh on arrival: "Used by" changes whenever a workflow is saved elsewhere.
  const query = useQuery({ ...trpc.secrets.listTeam.queryOptions(input), staleTime: 0 });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.secrets.listTeam.queryKey(input) });
  const [name, setName] = useState("");
  const set = useMutation(trpc.secrets.setTeam.mutationOptions({ onSuccess: () => refresh() }));
  const remove = useMutation(trpc.secrets.deleteTeam.mutationOptions({ onSuccess: () => refresh() }));
  const rows = query.data ?? [];
  const usedBy = new Map(rows.map((r) => [r.name, r.usedBy]));

  return (
    <div className="space-y-8">
      <section aria-labelledby="team-secrets-title" className="space-y-3">
        <h2 id="team-secrets-title" className="text-lg font-semibold text-slate-900">
          Team secrets
        </h2>
        <p className="text-sm text-slate-600">
          A workflow that names one in its <code>secrets</code> gets its value at deploy time, unless the
          workflow sets its own of that name. Encrypted at rest and write-only.
        </p>
        {query.isPending ? <Spinner label="Loading secrets" /> : null}
        {query.isError ? (
          <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
        ) : null}
        {query.isSuccess && rows.length === 0 ? (
          <EmptyState title="No team secrets">
            Set one below, for values many workflows share (an SMTP password, a registry token).
          </EmptyState>
        ) : null}
        {rows.length > 0 ? (
          <SecretList
            rows={rows}
            canEdit={canEdit}
            onReplace={(n) => {
              setName(n);
              focusSecretValue();
            }}
            onDelete={(n) => remove.mutate({ ...input, name: n })}
            deleting={remove.isPending ? (remove.variables?.name ?? null) : null}
            extra={(s) => (
              <UsedBy
                workflows={usedBy.get(s.name) ?? []}
                href={(id) => `/t/${team.slug}/workflows/${id}/secrets`}
              />
            )}
            deleteWarning={(n) =>
              `Deploys of workflows that use ${n} without their own will fail until it is set again.`
            }
          />
        ) : null}
        {remove.isError ? <ErrorNotice message={errorMessage(remove.error)} /> : null}
      </section>
      {canEdit ? (
        <section aria-labelledby="set-title" className="space-y-3">
          <h2 id="set-title" className="text-lg font-semibold text-slate-900">
            Set or replace a team secret
          </h2>
          <SecretForm
            name={name}
            setName={setName}
            suggestions={[]}
            existing={new Set(rows.map((r) => r.name))}
            save={(n, value) => set.mutateAsync({ ...input, name: n, value })}
          />
        </section>
      ) : (
        <p className="text-sm text-slate-500">Setting secrets needs the Admin role.</p>
      )}
    </div>
  );
}
