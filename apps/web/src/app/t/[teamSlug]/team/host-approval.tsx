"use client";
// The team setting "approve new hosts": owners switch it; everyone sees it.
import { hasRole } from "@capstan/core/rbac/roles";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Card, ErrorNotice } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

export function HostApproval() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const query = useQuery(trpc.team.get.queryOptions({ teamId: team.id }));
  const save = useMutation(
    trpc.team.setApproveNewHosts.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.team.get.queryKey() }),
    }),
  );
  const enabled = query.data?.approveNewHosts ?? false;
  return (
    <section aria-labelledby="host-approval-title" className="space-y-3">
      <h2 id="host-approval-title" className="text-lg font-semibold text-slate-900">
        New hosts
      </h2>
      <Card className="p-4">
        <label className="flex items-start gap-3 text-sm text-slate-700">
          <input
            type="checkbox"
            className="mt-0.5"
            checked={enabled}
            disabled={!hasRole(team.role, "OWNER") || query.isPending || save.isPending}
            onChange={(e) => save.mutate({ teamId: team.id, enabled: e.target.checked })}
          />
          <span>
            <span className="font-medium text-slate-900">Approve new hosts</span>: a newly enrolled host gets
            no jobs until an admin compares its key fingerprint and facts with the server and approves it.
            Only owners change this.
          </span>
        </label>
      </Card>
      {save.isError ? <ErrorNotice title="Not saved" message={errorMessage(save.error)} /> : null}
    </section>
  );
}
