"use client";
import { hasRole, ROLES } from "@capstan/core/rbac/roles";
import type { Role } from "@capstan/db";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { ConfirmButton } from "@/components/status/dialog";
import { Card, EmptyState, ErrorNotice, RoleBadge, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import { PasswordResetLink } from "./password-reset-link";

const dateFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium" });

export function MemberList() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const query = useQuery(trpc.team.listMembers.queryOptions({ teamId: team.id }));
  const canManage = hasRole(team.role, "ADMIN");
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.team.listMembers.queryKey() });
  const change = useMutation(trpc.team.changeMemberRole.mutationOptions({ onSettled: refresh }));
  const remove = useMutation(trpc.team.removeMember.mutationOptions({ onSettled: refresh }));
  // Owners are managed by owners only; nobody grants a role above their own.
  const mayManage = (role: Role) => canManage && (role !== "OWNER" || team.role === "OWNER");

  return (
    <section aria-labelledby="members-title" className="space-y-3">
      <h2 id="members-title" className="text-lg font-semibold text-slate-900">
        Members
      </h2>
      {query.isPending ? <Spinner label="Loading members" /> : null}
      {query.isError ? (
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      ) : null}
      {query.data?.length === 0 ? (
        <EmptyState title="No members">This team has no members.</EmptyState>
      ) : null}
      {change.isError ? <ErrorNotice title="Role not changed" message={errorMessage(change.error)} /> : null}
      {remove.isError ? (
        <ErrorNotice title="Member not removed" message={errorMessage(remove.error)} />
      ) : null}
      {query.data && query.data.length > 0 ? (
        <Card className="overflow-x-auto">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <caption className="sr-only">Members</caption>
            <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
              <tr>
                <th scope="col" className="px-4 py-3">
                  Member
                </th>
                <th scope="col" className="px-4 py-3">
                  Role
                </th>
                <th scope="col" className="hidden px-4 py-3 sm:table-cell">
                  Joined
                </th>
                {canManage ? (
                  <th scope="col" className="px-4 py-3">
                    <span className="sr-only">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {query.data.map((m) => (
                <tr key={m.membershipId}>
                  <td className="px-4 py-3">
                    <div className="font-medium text-slate-900">{m.name ?? m.email}</div>
                    {m.name ? <div className="text-slate-500">{m.email}</div> : null}
                  </td>
                  <td className="px-4 py-3">
                    <div className="flex flex-wrap items-center gap-2">
                      <RoleBadge role={m.role} />
                      {mayManage(m.role) ? (
                        <select
                          aria-label={`Change role of ${m.email}`}
                          value=""
                          disabled={change.isPending}
                          onChange={(e) => {
                            const role = e.target.value as Role;
                            if (role) change.mutate({ teamId: team.id, membershipId: m.membershipId, role });
                          }}
                          className="rounded-md border border-slate-300 bg-white px-2 py-1 text-xs text-slate-700"
                        >
                          <option value="">Change role…</option>
                          {ROLES.filter((r) => hasRole(team.role, r) && r !== m.role).map((r) => (
                            <option key={r} value={r}>
                              make {r.toLowerCase()}
                            </option>
                          ))}
                        </select>
                      ) : null}
                    </div>
                  </td>
                  <td className="hidden px-4 py-3 text-slate-500 sm:table-cell">
                    {dateFormat.format(m.joinedAt)}
                  </td>
                  {canManage ? (
                    <td className="px-4 py-3 text-right">
                      {canManage && m.role !== "OWNER" && m.role !== "ADMIN" ? (
                        <PasswordResetLink teamId={team.id} userId={m.userId} email={m.email} />
                      ) : null}
                      {mayManage(m.role) ? (
                        <ConfirmButton
                          label="Remove"
                          title={`Remove ${m.email}?`}
                          confirmLabel="Remove member"
                          variant="danger"
                          pending={remove.isPending && remove.variables?.membershipId === m.membershipId}
                          onConfirm={() => remove.mutate({ teamId: team.id, membershipId: m.membershipId })}
                        >
                          They lose access to {team.name} at once. A team always keeps at least one owner.
                        </ConfirmButton>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      ) : null}
    </section>
  );
}
