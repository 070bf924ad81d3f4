"use client";
// One environment's protection: deployments touching its hosts wait for another member's approval.
import type { EnvironmentView } from "@capstan/core/environments/list-environments";
import { useState } from "react";
import { EnvironmentSettingForm } from "./environment-setting-form";

type ApproverRole = "DEPLOYER" | "ADMIN" | "OWNER";

export function EnvironmentApproval({
  environment: env,
  canManage,
}: {
  environment: EnvironmentView;
  canManage: boolean;
}) {
  const [required, setRequired] = useState(env.requiresApproval);
  const [role, setRole] = useState<ApproverRole>(
    env.approverRole === "VIEWER" ? "DEPLOYER" : env.approverRole,
  );
  const [ttl, setTtl] = useState(String(env.approvalTtlMinutes));
  const summary = env.requiresApproval
    ? `Protected: deployments wait for another member with the ${env.approverRole.toLowerCase()} role (or higher) to approve, within ${env.approvalTtlMinutes} minutes.`
    : "Not protected: deployments start at once.";
  return (
    <EnvironmentSettingForm
      environment={env}
      canManage={canManage}
      summary={summary}
      values={{ requiresApproval: required, approverRole: role, approvalTtlMinutes: Number(ttl) }}
      submitLabel="Save protection"
    >
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
    </EnvironmentSettingForm>
  );
}
