"use client";
// One environment's protection: deployments touching its hosts wait for another member's approval.
import type { EnvironmentView } from "@capstan/core/environments/list-environments";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Button } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

type ApproverRole = "DEPLOYER" | "ADMIN" | "OWNER";

export function EnvironmentApproval({
  environment: env,
  canManage,
}: {
  environment: EnvironmentView;
  canManage: boolean;
}) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const save = useMutation(
    trpc.environments.save.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.environments.list.queryKey() }),
    }),
  );
  const [required, setRequired] = useState(env.requiresApproval);
  const [role, setRole] = useState<ApproverRole>(
    env.approverRole === "VIEWER" ? "DEPLOYER" : env.approverRole,
  );
  const [ttl, setTtl] = useState(String(env.approvalTtlMinutes));
  const summary = env.requiresApproval
    ? `Protected: deployments wait for another member with the ${env.approverRole.toLowerCase()} role (or higher) to approve, within ${env.approvalTtlMinutes} minutes.`
    : "Not protected: deployments start at once.";
  if (!canManage) return <p className="text-sm text-slate-600">{summary}</p>;
  return (
    <form
      className="flex flex-wrap items-end gap-2 text-sm"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate({
          teamId: team.id,
          environmentId: env.id,
          name: env.name,
          selector: env.selector,
          requiresApproval: required,
          approverRole: role,
          approvalTtlMinutes: Number(ttl),
        });
      }}
    >
      <span className="w-full text-slate-600">{summary}</span>
      <label className="flex items-center gap-1">
        <input type="checkbox" checked={required} onChange={(e) => setRequired(e.target.checked)} />
        Require approval
      </label>
      <select
        aria-label={`Approver role on ${env.name}`}
        value={role}
        onChange={(e) => setRole(e.target.value as ApproverRole)}
        className="rounded-md border border-slate-300 bg-white px-2 py-1"
      >
        <option value="DEPLOYER">deployer</option>
        <option value="ADMIN">admin</option>
        <option value="OWNER">owner</option>
      </select>
      <label className="flex items-center gap-1">
        <input
          type="number"
          min={5}
          max={10080}
          aria-label={`Approval expires after (minutes) on ${env.name}`}
          value={ttl}
          onChange={(e) => setTtl(e.target.value)}
          className="w-20 rounded-md border border-slate-300 px-2 py-1"
        />
        minutes
      </label>
      <Button type="submit" variant="secondary" className="px-3 py-1" disabled={save.isPending}>
        Save protection
      </Button>
      {save.isError ? <span className="text-red-700">{errorMessage(save.error)}</span> : null}
    </form>
  );
}
