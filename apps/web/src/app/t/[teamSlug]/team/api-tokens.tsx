"use client";
import { hasRole } from "@capstan/core/rbac/roles";
import type { Role } from "@capstan/db";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { ConfirmButton } from "@/components/status/dialog";
import { RelativeTime } from "@/components/status/time";
import { Badge, Button, Card, ErrorNotice, RoleBadge, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import { RoleSelect } from "./role-select";
import { ShownOnce } from "./shown-once";

export function ApiTokens() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const canManage = hasRole(team.role, "ADMIN");
  const query = useQuery(trpc.tokens.list.queryOptions({ teamId: team.id }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() });
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("DEPLOYER");
  const [days, setDays] = useState<number | null>(90);
  const create = useMutation(
    trpc.tokens.create.mutationOptions({
      onSuccess: async () => {
        setName("");
        await refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions({ onSettled: refresh }));
  const now = Date.now();

  return (
    <section aria-labelledby="tokens-title" className="space-y-3">
      <h2 id="tokens-title" className="text-lg font-semibold text-slate-900">
        API tokens
      </h2>
      <p className="text-sm text-slate-600">
        For CI and scripts calling the HTTP API. A token acts with its role in this team; it is shown once and
        stored only as a hash.
      </p>
      {canManage ? (
        <form
          className="grid gap-3 sm:grid-cols-[1fr_auto_auto_auto] sm:items-end"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate({ teamId: team.id, name: name.trim(), role, expiresInDays: days });
          }}
        >
          <div className="space-y-1">
            <label htmlFor="token-name" className="block text-sm font-medium text-slate-700">
              Token name
            </label>
            <input
              id="token-name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              required
              maxLength={80}
              placeholder="github-actions"
              className="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm"
            />
          </div>
          <RoleSelect id="token-role" label="Token role" value={role} onChange={setRole} />
          <div className="space-y-1">
            <label htmlFor="token-expiry" className="block text-sm font-medium text-slate-700">
              Expires
            </label>
            <select
              id="token-expiry"
              value={days ?? "never"}
              onChange={(e) => setDays(e.target.value === "never" ? null : Number(e.target.value))}
              className="block rounded-md border border-slate-300 bg-white px-2 py-2 text-sm"
            >
              <option value={30}>in 30 days</option>
              <option value={90}>in 90 days</option>
              <option value={365}>in a year</option>
              <option value="never">never</option>
            </select>
          </div>
          <Button type="submit" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create token"}
          </Button>
        </form>
      ) : null}
      {create.isError ? <ErrorNotice title="No token created" message={errorMessage(create.error)} /> : null}
      {create.data ? (
        <ShownOnce
          id="api-token"
          label={`Token ${create.data.name}`}
          value={create.data.token}
          note="Copy it now into your CI secrets: it is not shown again. Send it as Authorization: Bearer <token>."
        />
      ) : null}
      {query.isPending ? <Spinner label="Loading tokens" /> : null}
      {query.isError ? (
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      ) : null}
      {revoke.isError ? <ErrorNotice title="Token not revoked" message={errorMessage(revoke.error)} /> : null}
      {query.data && query.data.length === 0 ? (
        <p className="text-sm text-slate-500">No API tokens.</p>
      ) : null}
      {query.data && query.data.length > 0 ? (
        <Card>
          <ul className="divide-y divide-slate-100" aria-label="API tokens">
            {query.data.map((t) => {
              const expired = t.expiresAt !== null && t.expiresAt.getTime() <= now;
              return (
                <li key={t.id} className="flex flex-col gap-2 px-4 py-3 text-sm sm:flex-row sm:items-center">
                  <div className="min-w-0 flex-1">
                    <span className="font-medium text-slate-900">{t.name}</span> <RoleBadge role={t.role} />{" "}
                    {t.revokedAt ? (
                      <Badge tone="red">revoked</Badge>
                    ) : expired ? (
                      <Badge tone="amber">expired</Badge>
                    ) : null}
                    <div className="text-xs text-slate-500">
                      <span className="font-mono">{t.prefix}…</span> · last used{" "}
                      <RelativeTime date={t.lastUsedAt} /> ·{" "}
                      {t.expiresAt ? (
                        <>
                          expires <RelativeTime date={t.expiresAt} />
                        </>
                      ) : (
                        "no expiry"
                      )}
                      {t.createdBy ? ` · by ${t.createdBy.email}` : ""}
                    </div>
                  </div>
                  {canManage && !t.revokedAt ? (
                    <ConfirmButton
                      label="Revoke"
                      title={`Revoke ${t.name}?`}
                      confirmLabel="Revoke token"
                      variant="danger"
                      pending={revoke.isPending && revoke.variables?.tokenId === t.id}
                      onConfirm={() => revoke.mutate({ teamId: team.id, tokenId: t.id })}
                    >
                      Its next request is refused. This cannot be undone.
                    </ConfirmButton>
                  ) : null}
                </li>
              );
            })}
          </ul>
        </Card>
      ) : null}
    </section>
  );
}
