"use client";
// The team's plain variables: readable by every member, named in a workflow's env values as
// `${{ team.NAME }}` and substituted when a job is claimed (so an edit reaches the next deploy).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { ConfirmButton } from "@/components/status/dialog";
import { RelativeTime } from "@/components/status/time";
import { Button, Card, EmptyState, ErrorNotice, Field, Notice, Spinner, Truncate } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import { UsedBy } from "./used-by";

export function TeamVariables() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const canEdit = team.role === "OWNER" || team.role === "ADMIN";
  const input = { teamId: team.id };
  // Always fresh on arrival: "Used by" changes whenever a workflow is saved elsewhere.
  const query = useQuery({ ...trpc.variables.list.queryOptions(input), staleTime: 0 });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.variables.list.queryKey(input) });
  const set = useMutation(trpc.variables.set.mutationOptions({ onSuccess: () => refresh() }));
  const remove = useMutation(trpc.variables.delete.mutationOptions({ onSuccess: () => refresh() }));
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const rows = query.data ?? [];

  const submit = (e: FormEvent) => {
    e.preventDefault();
    set.mutate({ ...input, name: name.trim(), value }, { onSuccess: () => setValue("") });
  };

  return (
    <section aria-labelledby="team-variables-title" className="space-y-3">
      <h2 id="team-variables-title" className="text-lg font-semibold text-slate-900">
        Team variables
      </h2>
      <p className="text-sm text-slate-600">
        Plain settings shared by the team's workflows (a database host, a region). Name one in an env value as{" "}
        <code className="font-mono">{"${{ team.DB_HOST }}"}</code>; each deploy gets the value it has then.
        Not secret: every member can read them.
      </p>
      {query.isPending ? <Spinner label="Loading variables" /> : null}
      {query.isError ? (
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      ) : null}
      {query.isSuccess && rows.length === 0 ? (
        <EmptyState title="No team variables">
          {canEdit ? "Add one below." : "An admin can add them."}
        </EmptyState>
      ) : null}
      {rows.length > 0 ? (
        <Card>
          <ul className="divide-y divide-slate-100" aria-label="Variables">
            {rows.map((v) => (
              <li key={v.id} className="flex flex-col gap-2 px-4 py-3 text-sm sm:flex-row sm:items-center">
                <div className="min-w-0 flex-1">
                  <span className="font-mono font-medium">{v.name}</span>
                  <Truncate text={v.value} className="max-w-full font-mono text-slate-700" />
                  <UsedBy workflows={v.usedBy} href={(id) => `/t/${team.slug}/workflows/${id}`} />
                  <div className="text-xs text-slate-500">
                    updated <RelativeTime date={new Date(v.updatedAt)} />
                    {v.updatedBy ? ` by ${v.updatedBy.email}` : ""}
                  </div>
                </div>
                {canEdit ? (
                  <div className="flex gap-2">
                    <Button
                      type="button"
                      variant="secondary"
                      onClick={() => {
                        setName(v.name);
                        setValue(v.value);
                        document.getElementById("variable-value")?.focus();
                      }}
                    >
                      Edit
                    </Button>
                    <ConfirmButton
                      label="Delete"
                      title={`Delete ${v.name}?`}
                      confirmLabel="Delete variable"
                      variant="danger"
                      pending={remove.isPending && remove.variables?.name === v.name}
                      onConfirm={() => remove.mutate({ ...input, name: v.name })}
                    >
                      Deploys of workflows that name {v.name} will fail until it is set again.
                    </ConfirmButton>
                  </div>
                ) : null}
              </li>
            ))}
          </ul>
        </Card>
      ) : null}
      {remove.isError ? <ErrorNotice message={errorMessage(remove.error)} /> : null}
      {canEdit ? (
        <form className="grid gap-3 sm:grid-cols-[1fr_2fr_auto] sm:items-end" onSubmit={submit}>
          <Field
            id="variable-name"
            label="Name"
            value={name}
            onChange={(e) => setName(e.target.value.toUpperCase())}
            required
            pattern="[A-Z_][A-Z0-9_]*"
            placeholder="DB_HOST"
            autoComplete="off"
          />
          <Field
            id="variable-value"
            label="Value (one line)"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            required
            autoComplete="off"
          />
          <Button type="submit" disabled={set.isPending}>
            {set.isPending ? "Saving…" : rows.some((r) => r.name === name.trim()) ? "Replace" : "Add"}
          </Button>
        </form>
      ) : null}
      {set.isError ? <Notice tone="error">{errorMessage(set.error)}</Notice> : null}
      {set.isSuccess && !set.isPending ? (
        <Notice tone="ok">
          {set.data.name} {set.data.created ? "added" : "replaced"}; the next deploy uses it.
        </Notice>
      ) : null}
    </section>
  );
}
