"use client";
// A team setting that is one checkbox (approve new hosts, require two-factor): everyone sees it,
// members with `minRole` switch it; the saved value is read back from team.get.
import { hasRole } from "@capstan/core/rbac/roles";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { type CurrentTeam, useCurrentTeam } from "@/components/dashboard/team-context";
import { Card, ErrorNotice } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

/** The mutation options every team setting shares: read team.get again once saved. */
export function useTeamSettingSaved() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return { onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.team.get.queryKey() }) };
}

export function TeamSettingToggle({
  id,
  title,
  label,
  setting,
  minRole,
  save,
  children,
  after,
}: {
  id: string;
  title: string;
  label: string;
  setting: "approveNewHosts" | "requireTwoFactor";
  minRole: CurrentTeam["role"];
  save: {
    mutate: (input: { teamId: string; enabled: boolean }) => void;
    isPending: boolean;
    error: unknown;
  };
  /** What the setting does, after its label. */
  children: ReactNode;
  /** Shown below the card (e.g. what the last save changed). */
  after?: ReactNode;
}) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const query = useQuery(trpc.team.get.queryOptions({ teamId: team.id }));
  return (
    <section aria-labelledby={`${id}-title`} className="space-y-3">
      <h2 id={`${id}-title`} className="text-lg font-semibold text-slate-900">
        {title}
      </h2>
      <Card className="p-4">
        <label className="flex items-start gap-3 text-sm text-slate-700">
          <input
            type="checkbox"
            className="mt-0.5"
            checked={query.data?.[setting] ?? false}
            disabled={!hasRole(team.role, minRole) || query.isPending || save.isPending}
            onChange={(e) => save.mutate({ teamId: team.id, enabled: e.target.checked })}
          />
          <span>
            <span className="font-medium text-slate-900">{label}</span>: {children}
          </span>
        </label>
      </Card>
      {after}
      {save.error ? <ErrorNotice title="Not saved" message={errorMessage(save.error)} /> : null}
    </section>
  );
}
