"use client";
// The team setting "approve new hosts": owners switch it; everyone sees it.
import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/client";
import { TeamSettingToggle, useTeamSettingSaved } from "./team-setting-toggle";

export function HostApproval() {
  const trpc = useTRPC();
  const save = useMutation(trpc.team.setApproveNewHosts.mutationOptions(useTeamSettingSaved()));
  return (
    <TeamSettingToggle
      id="host-approval"
      title="New hosts"
      label="Approve new hosts"
      setting="approveNewHosts"
      minRole="OWNER"
      save={save}
    >
      a newly enrolled host gets no jobs until an admin compares its key fingerprint and facts with the server
      and approves it. Only owners change this.
    </TeamSettingToggle>
  );
}
