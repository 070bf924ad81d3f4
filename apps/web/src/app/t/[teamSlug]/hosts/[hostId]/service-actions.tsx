"use client";
// Start / stop / restart of one service on this host. Each click queues a job on the host's pull
// path; its outcome is followed live on the deployment page the result links to.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Button } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

const ACTIONS = ["start", "stop", "restart"] as const;

export function ServiceActions({
  hostId,
  workflow,
  service,
}: {
  hostId: string;
  workflow: string;
  service: string;
}) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const run = useMutation(
    trpc.hosts.serviceAction.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.hosts.pathKey() }),
    }),
  );
  return (
    <div className="flex flex-wrap items-center gap-2">
      {ACTIONS.map((action) => (
        <Button
          key={action}
          variant={action === "stop" ? "danger" : "secondary"}
          className="px-2 py-1 text-xs"
          disabled={run.isPending}
          aria-label={`${action} ${workflow}/${service}`}
          onClick={() => run.mutate({ teamId: team.id, hostId, workflow, service, action })}
        >
          {action[0]?.toUpperCase()}
          {action.slice(1)}
        </Button>
      ))}
      {run.isSuccess && (
        <Link
          className="text-xs text-sky-700 underline"
          href={`/t/${team.slug}/deployments/${run.data.deploymentId}`}
        >
          {run.variables.action} queued: follow it
        </Link>
      )}
      {run.isError && (
        <span role="alert" className="text-xs text-red-700">
          {errorMessage(run.error)}
        </span>
      )}
    </div>
  );
}
