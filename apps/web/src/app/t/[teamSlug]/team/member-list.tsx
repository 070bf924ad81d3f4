"use client";
import { useQuery } from "@tanstack/react-query";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Card, EmptyState, ErrorNotice, PageHeader, RoleBadge, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

const dateFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium" });

export function MemberList() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const query = useQuery(trpc.team.listMembers.queryOptions({ teamId: team.id }));

  return (
    <>
      <PageHeader title="Team" description={`People in ${team.name} and what they may do.`} />
      {query.isPending ? <Spinner label="Loading members" /> : null}
      {query.isError ? (
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      ) : null}
      {query.data?.length === 0 ? (
        <EmptyState title="No members">This team has no members.</EmptyState>
      ) : null}
      {query.data && query.data.length > 0 ? (
        <Card className="overflow-hidden">
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
                    <RoleBadge role={m.role} />
                  </td>
                  <td className="hidden px-4 py-3 text-slate-500 sm:table-cell">
                    {dateFormat.format(m.joinedAt)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      ) : null}
      <p className="mt-4 text-xs text-slate-500">
        Roles: Viewer reads everything except secret values · Deployer also deploys, cancels and rolls back ·
        Admin also manages hosts, workflows, secrets, tokens and members · Owner also manages owners and the
        team.
      </p>
    </>
  );
}
