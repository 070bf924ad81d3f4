"use client";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { PageHeader } from "@/components/ui";
import { ApiTokens } from "./api-tokens";
import { Environments } from "./environments";
import { HostApproval } from "./host-approval";
import { Invitations } from "./invitations";
import { MemberList } from "./member-list";
import { RequireTwoFactor } from "./require-two-factor";
import { TeamSettings } from "./team-settings";

export function TeamOverview() {
  const team = useCurrentTeam();
  return (
    <>
      <PageHeader
        title="Team"
        description={`People and tokens with access to ${team.name}, and what they may do.`}
      />
      <div className="space-y-10">
        <MemberList />
        <Invitations />
        <ApiTokens />
        <Environments />
        <HostApproval />
        <RequireTwoFactor />
        <TeamSettings />
        <p className="text-xs text-slate-500">
          Roles: Viewer reads everything except secret values · Deployer also deploys, cancels and rolls back
          · Admin also manages hosts, workflows, secrets, tokens and members · Owner also manages owners and
          the team. A role narrowed on an environment applies on its hosts.
        </p>
      </div>
    </>
  );
}
