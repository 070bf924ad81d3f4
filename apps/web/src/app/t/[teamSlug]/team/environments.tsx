"use client";
import type { EnvironmentView } from "@capstan/core/environments/list-environments";
// Environments (hosts by label selector) and members' roles narrowed on them. Everyone sees them;
// admins change them (owners' narrowing is an owner's to change, as with team roles).
import { hasRole, ROLES } from "@capstan/core/rbac/roles";
import type { Role } from "@capstan/db";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { ConfirmButton } from "@/components/status/dialog";
import { Button, Card, EmptyState, ErrorNotice, Field, RoleBadge, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import { EnvironmentApproval } from "./environment-approval";
import { EnvironmentFreeze } from "./environment-freeze";

function useEnvironmentMutations() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const onSettled = () => queryClient.invalidateQueries({ queryKey: trpc.environments.list.queryKey() });
  return {
    save: useMutation(trpc.environments.save.mutationOptions({ onSettled })),
    remove: useMutation(trpc.environments.delete.mutationOptions({ onSettled })),
    setRole: useMutation(trpc.environments.setRole.mutationOptions({ onSettled })),
  };
}

export function Environments() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const query = useQuery(trpc.environments.list.queryOptions({ teamId: team.id }));
  const { save, remove, setRole } = useEnvironmentMutations();
  const [name, setName] = useState("");
  const [selector, setSelector] = useState("");
  const failed = [save, remove, setRole].find((m) => m.isError);
  return (
    <section aria-labelledby="environments-title" className="space-y-3">
      <h2 id="environments-title" className="text-lg font-semibold text-slate-900">
        Environments
      </h2>
      <p className="text-sm text-slate-600">
        An environment is the set of hosts whose labels match its selector. A member&apos;s role can be
        narrowed on it (for example Deployer team-wide, Viewer on production); API tokens follow their
        creator&apos;s role there.
      </p>
      {hasRole(team.role, "ADMIN") ? (
        <form
          className="grid gap-3 sm:grid-cols-[1fr_2fr_auto] sm:items-end"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate(
              { teamId: team.id, name, selector },
              {
                onSuccess: () => {
                  setName("");
                  setSelector("");
                },
              },
            );
          }}
        >
          <Field id="environment-name" label="Name" value={name} onChange={(e) => setName(e.target.value)} />
          <Field
            id="environment-selector"
            label="Host labels"
            placeholder="env=production"
            value={selector}
            onChange={(e) => setSelector(e.target.value)}
          />
          <Button type="submit" disabled={save.isPending}>
            Add environment
          </Button>
        </form>
      ) : null}
      {failed ? <ErrorNotice title="Not saved" message={errorMessage(failed.error)} /> : null}
      {query.isPending ? <Spinner label="Loading environments" /> : null}
      {query.isError ? (
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      ) : null}
      {query.data?.length === 0 ? (
        <EmptyState title="No environments">Every member&apos;s team role applies on every host.</EmptyState>
      ) : null}
      {query.data?.map((env) => (
        <EnvironmentCard key={env.id} environment={env} />
      ))}
    </section>
  );
}

function EnvironmentCard({ environment: env }: { environment: EnvironmentView }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const canManage = hasRole(team.role, "ADMIN");
  const members = useQuery({
    ...trpc.team.listMembers.queryOptions({ teamId: team.id }),
    enabled: canManage,
  });
  const { remove, setRole } = useEnvironmentMutations();
  const [membershipId, setMembershipId] = useState("");
  const [role, setRoleValue] = useState<Role>("VIEWER");
  const mayNarrow = (teamRole: Role) => canManage && (teamRole !== "OWNER" || team.role === "OWNER");
  const member = members.data?.find((m) => m.membershipId === membershipId);
  return (
    <Card className="space-y-3 p-4">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div>
          <div className="font-medium text-slate-900">{env.name}</div>
          <div className="text-sm text-slate-500">
            <code>{env.selector}</code> · {env.hostCount} host{env.hostCount === 1 ? "" : "s"}
          </div>
        </div>
        {canManage ? (
          <ConfirmButton
            label="Delete"
            title={`Delete the ${env.name} environment?`}
            confirmLabel="Delete environment"
            variant="danger"
            pending={remove.isPending}
            onConfirm={() => remove.mutate({ teamId: team.id, environmentId: env.id })}
          >
            Roles narrowed on it are removed: those members&apos; team roles apply on its hosts again.
          </ConfirmButton>
        ) : null}
      </div>
      <EnvironmentApproval environment={env} canManage={canManage} />
      <EnvironmentFreeze environment={env} canManage={canManage} />
      <ul className="space-y-1 text-sm">
        {env.roles.map((r) => (
          <li key={r.membershipId} className="flex flex-wrap items-center gap-2">
            <span className="text-slate-900">{r.email}</span>
            <RoleBadge role={r.role} />
            <span className="text-slate-500">here (team role {r.teamRole.toLowerCase()})</span>
            {mayNarrow(r.teamRole) ? (
              <Button
                variant="secondary"
                className="px-2 py-1 text-xs"
                disabled={setRole.isPending}
                onClick={() =>
                  setRole.mutate({
                    teamId: team.id,
                    environmentId: env.id,
                    membershipId: r.membershipId,
                    role: null,
                  })
                }
              >
                Clear
              </Button>
            ) : null}
          </li>
        ))}
      </ul>
      {canManage ? (
        <form
          className="flex flex-wrap items-end gap-2 text-sm"
          onSubmit={(e) => {
            e.preventDefault();
            if (membershipId) setRole.mutate({ teamId: team.id, environmentId: env.id, membershipId, role });
          }}
        >
          <select
            aria-label={`Member to narrow on ${env.name}`}
            value={membershipId}
            onChange={(e) => setMembershipId(e.target.value)}
            className="rounded-md border border-slate-300 bg-white px-2 py-1"
          >
            <option value="">Narrow a member…</option>
            {members.data
              ?.filter((m) => mayNarrow(m.role) && m.role !== "VIEWER")
              .map((m) => (
                <option key={m.membershipId} value={m.membershipId}>
                  {m.email} ({m.role.toLowerCase()})
                </option>
              ))}
          </select>
          <select
            aria-label={`Role on ${env.name}`}
            value={role}
            onChange={(e) => setRoleValue(e.target.value as Role)}
            className="rounded-md border border-slate-300 bg-white px-2 py-1"
          >
            {ROLES.filter((r) => !member || (r !== member.role && hasRole(member.role, r))).map((r) => (
              <option key={r} value={r}>
                {r.toLowerCase()}
              </option>
            ))}
          </select>
          <Button
            type="submit"
            variant="secondary"
            className="px-3 py-1"
            disabled={!membershipId || setRole.isPending}
          >
            Set role here
          </Button>
        </form>
      ) : null}
    </Card>
  );
}
