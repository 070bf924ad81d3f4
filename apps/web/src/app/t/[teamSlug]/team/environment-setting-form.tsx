"use client";
// The form shared by an environment's settings (protection, freeze windows): the setting's summary
// for those who may not change it; for admins the fields, saved with the environment's name and
// selector unchanged.
import type { EnvironmentView } from "@capstan/core/environments/list-environments";
import type { SaveEnvironmentInput } from "@capstan/core/environments/save-environment";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Button } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

export function EnvironmentSettingForm({
  environment: env,
  canManage,
  summary,
  values,
  submitLabel,
  children,
}: {
  environment: EnvironmentView;
  canManage: boolean;
  summary: string;
  /** The setting's fields as the form holds them now. */
  values: Omit<SaveEnvironmentInput, "environmentId" | "name" | "selector">;
  submitLabel: string;
  children: ReactNode;
}) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const save = useMutation(
    trpc.environments.save.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.environments.list.queryKey() }),
    }),
  );
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
          ...values,
        });
      }}
    >
      <span className="w-full text-slate-600">{summary}</span>
      {children}
      <Button type="submit" variant="secondary" className="px-3 py-1" disabled={save.isPending}>
        {submitLabel}
      </Button>
      {save.isError ? <span className="text-red-700">{errorMessage(save.error)}</span> : null}
    </form>
  );
}
