"use client";
// The team setting "require two-factor": admins switch it; everyone sees it.
import { hasRole } from "@capstan/core/rbac/roles";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Card, ErrorNotice } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

export function RequireTwoFactor() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const query = useQuery(trpc.team.get.queryOptions({ teamId: team.id }));
  const save = useMutation(
    trpc.team.setRequireTwoFactor.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.team.get.queryKey() }),
    }),
  );
  const enabled = query.data?.requireTwoFactor ?? false;
  return (
    <section aria-labelledby="require-two-factor-title" className="space-y-3">
      <h2 id="require-two-factor-title" className="text-lg font-semibold text-slate-900">
        Two-factor authentication
      </h2>
      <Card className="p-4">
        <label className="flex items-start gap-3 text-sm text-slate-700">
          <input
            type="checkbox"
            className="mt-0.5"
            checked={enabled}
            disabled={!hasRole(team.role, "ADMIN") || query.isPending || save.isPending}
            onChange={(e) => save.mutate({ teamId: team.id, enabled: e.target.checked })}
          />
          <span>
            <span className="font-medium text-slate-900">Require two-factor</span>: members without it are
            sent to enrol (
            <a href="/account/two-factor" className="underline">
              Account → Two-factor
            </a>
            ) before they see this team. API tokens are not affected. Turn it on for yourself first; only
            admins change this.
          </span>
        </label>
      </Card>
      {save.data?.requireTwoFactor && save.data.membersWithout > 0 ? (
        <p role="status" className="text-sm text-slate-600">
          {save.data.membersWithout} member(s) have no two-factor yet; they will be asked to enrol.
        </p>
      ) : null}
      {save.isError ? <ErrorNotice title="Not saved" message={errorMessage(save.error)} /> : null}
    </section>
  );
}
