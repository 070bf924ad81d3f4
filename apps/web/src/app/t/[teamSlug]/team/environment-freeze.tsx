"use client";
// One environment's deploy windows, said as freeze windows: weekly times in its time zone when
// deployments touching its hosts are refused (an ADMIN may override, audited).
import type { EnvironmentView } from "@capstan/core/environments/list-environments";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Button } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

function freezeSummary(env: EnvironmentView): string {
  if (!env.freezeWindows) return "No freeze windows: deploys are allowed at any time.";
  const windows = env.freezeWindows.split("\n").join("; ");
  const now = env.frozen
    ? ` Frozen now${env.frozen.endsAt ? ` until ${new Date(env.frozen.endsAt).toLocaleString()}` : ""}.`
    : "";
  return `Deploys are refused ${windows} (${env.timeZone}).${now}`;
}

export function EnvironmentFreeze({
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
  const [windows, setWindows] = useState(env.freezeWindows);
  const [timeZone, setTimeZone] = useState(env.timeZone);
  if (!canManage) return <p className="text-sm text-slate-600">{freezeSummary(env)}</p>;
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
          freezeWindows: windows,
          timeZone,
        });
      }}
    >
      <span className="w-full text-slate-600">{freezeSummary(env)}</span>
      <textarea
        aria-label={`Freeze windows on ${env.name}`}
        placeholder="fri 16:00 - mon 08:00"
        rows={2}
        value={windows}
        onChange={(e) => setWindows(e.target.value)}
        className="min-w-64 rounded-md border border-slate-300 px-2 py-1 font-mono"
      />
      <input
        aria-label={`Time zone of ${env.name}'s freeze windows`}
        placeholder="Europe/Berlin"
        value={timeZone}
        onChange={(e) => setTimeZone(e.target.value)}
        className="w-44 rounded-md border border-slate-300 px-2 py-1"
      />
      <Button type="submit" variant="secondary" className="px-3 py-1" disabled={save.isPending}>
        Save freeze windows
      </Button>
      {save.isError ? <span className="text-red-700">{errorMessage(save.error)}</span> : null}
    </form>
  );
}
