"use client";
// The waiting banner of a deployment to a protected environment, with Approve / Reject for those who may.
import type { DeploymentDetail } from "@capstan/core/deployments/get-deployment";
import { hasRole } from "@capstan/core/rbac/roles";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { formatAbsolute } from "@/components/status/time";
import { Button, ErrorNotice } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

export function ApprovalBanner({ deployment: d }: { deployment: DeploymentDetail }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const onSuccess = () => queryClient.invalidateQueries({ queryKey: trpc.deployments.pathKey() });
  const approve = useMutation(trpc.deployments.approve.mutationOptions({ onSuccess }));
  const reject = useMutation(trpc.deployments.reject.mutationOptions({ onSuccess }));
  const approval = d.approval;
  if (!approval) return null;
  const input = { teamId: team.id, deploymentId: d.id };
  const busy = approve.isPending || reject.isPending;
  const failed = approve.error ?? reject.error;
  return (
    <section
      aria-label="Waiting for approval"
      className="mb-6 space-y-2 rounded-md border border-violet-200 bg-violet-50 p-4 text-sm text-violet-900"
    >
      <p>
        This deployment touches the protected environment{approval.environments.length === 1 ? "" : "s"}{" "}
        <strong>{approval.environments.join(", ")}</strong> and waits for a member with the{" "}
        {approval.role.toLowerCase()} role or higher, other than the one who asked, to approve it. Nothing
        runs until then
        {approval.expiresAt ? `; the request expires ${formatAbsolute(approval.expiresAt)}` : ""}.
      </p>
      {approval.mayDecide ? (
        <div className="flex gap-2">
          <Button disabled={busy} onClick={() => approve.mutate(input)}>
            Approve
          </Button>
          <Button variant="danger" disabled={busy} onClick={() => reject.mutate(input)}>
            Reject
          </Button>
        </div>
      ) : (
        // mayDecide is false for the requester or for a role below the approver role: say which.
        <p role="note" className="font-medium">
          {hasRole(team.role, approval.role)
            ? `You asked for this deployment, so you cannot approve or reject it yourself: another member with the ${approval.role.toLowerCase()} role must.`
            : `Approving or rejecting it needs the ${approval.role.toLowerCase()} role; yours is ${team.role.toLowerCase()}.`}
        </p>
      )}
      {failed ? <ErrorNotice title="Not done" message={errorMessage(failed)} /> : null}
    </section>
  );
}
