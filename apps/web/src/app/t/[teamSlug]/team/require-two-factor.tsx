"use client";
// The team setting "require two-factor": admins switch it; everyone sees it.
import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/client";
import { TeamSettingToggle, useTeamSettingSaved } from "./team-setting-toggle";

export function RequireTwoFactor() {
  const trpc = useTRPC();
  const save = useMutation(trpc.team.setRequireTwoFactor.mutationOptions(useTeamSettingSaved()));
  return (
    <TeamSettingToggle
      id="require-two-factor"
      title="Two-factor authentication"
      label="Require two-factor"
      setting="requireTwoFactor"
      minRole="ADMIN"
      save={save}
      after={
        save.data?.requireTwoFactor && save.data.membersWithout > 0 ? (
          <p role="status" className="text-sm text-slate-600">
            {save.data.membersWithout} member(s) have no two-factor yet; they will be asked to enrol.
          </p>
        ) : null
      }
    >
      members without it are sent to enrol (
      <a href="/account/two-factor" className="underline">
        Account → Two-factor
      </a>
      ) before they see this team. API tokens are not affected. Turn it on for yourself first; only admins
      change this.
    </TeamSettingToggle>
  );
}
