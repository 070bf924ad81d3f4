"use client";
// Start / stop / restart / reload of one service on this host (reload only where the service
// defines one), plus undeploy and, for ADMINs, a one-off command. Each click queues a job on the
// host's pull path; its outcome is followed live on the deployment page the result links to.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Button } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import { RunCommandButton, UndeployButton } from "./host-operations";

const ACTIONS = ["start", "stop", "restart", "reload"] as const;

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
  // One query for the whole table (the same key in every row): which services define a reload.
  const services = useQuery(trpc.hosts.services.queryOptions({ teamId: team.id, hostId }));
  const reloadable = services.data?.items.some(
    (s) => s.workflow === workflow && s.service === service && s.reloadable,
  );
  const isAdmin = team.role === "OWNER" || team.role === "ADMIN";
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
          disabled={run.isPending || (action === "reload" && !reloadable)}
          title={
            action === "reload" && !reloadable
              ? "Only systemd and Nix services with a reloadSignal can be reloaded"
              : undefined
          }
          aria-label={`${action} ${workflow}/${service}`}
          onClick={() => run.mutate({ teamId: team.id, hostId, workflow, service, action })}
        >
          {action[0]?.toUpperCase()}
          {action.slice(1)}
        </Button>
      ))}
      {isAdmin && <RunCommandButton hostId={hostId} workflow={workflow} service={service} />}
      <UndeployButton hostId={hostId} workflow={workflow} />
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
