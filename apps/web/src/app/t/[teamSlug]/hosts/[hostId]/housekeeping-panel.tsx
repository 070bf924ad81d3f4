"use client";
// The host's disks, memory and Docker disk use as the agent last reported them (every few
// minutes), and "Prune unused images" (DEPLOYER and above): an order the agent picks up with its
// next heartbeat, removing only Capstan-built images no kept release references.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { HostAlerts } from "@/components/hosts/host-alerts";
import { RelativeTime } from "@/components/status/time";
import { Button } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

function size(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value >= 10 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

const usedPercent = (total: number, available: number) =>
  total > 0 ? Math.round(100 - (available / total) * 100) : 0;

export function HousekeepingPanel({ hostId, canPrune }: { hostId: string; canPrune: boolean }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const query = useQuery({
    ...trpc.hosts.housekeeping.queryOptions({ teamId: team.id, hostId }),
    refetchInterval: 15_000,
  });
  const prune = useMutation(
    trpc.hosts.prune.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.hosts.housekeeping.pathKey() }),
    }),
  );
  const data = query.data;
  const r = data?.resources;
  const rows: [string, string][] = [];
  for (const d of r?.disks ?? [])
    rows.push([
      d.role === "state" ? `Disk (agent state, ${d.path})` : `Disk (Docker, ${d.path})`,
      `${usedPercent(d.totalBytes, d.availableBytes)}% used, ${size(d.availableBytes)} of ${size(d.totalBytes)} free`,
    ]);
  if (r?.memory)
    rows.push(["Memory", `${size(r.memory.availableBytes)} of ${size(r.memory.totalBytes)} available`]);
  if (r?.docker) {
    rows.push(["Docker images", `${size(r.docker.imagesBytes)} (${r.docker.images} images)`]);
    rows.push(["Docker volumes", `${size(r.docker.volumesBytes)} (${r.docker.volumes} volumes)`]);
    rows.push(["Docker build cache", size(r.docker.buildCacheBytes)]);
  }
  return (
    <div>
      <HostAlerts hostId={hostId} />
      {query.isError ? <p className="text-sm text-red-700">{errorMessage(query.error)}</p> : null}
      {data && !r ? (
        <p className="text-sm text-slate-600">The agent has not reported its resources yet.</p>
      ) : null}
      {rows.length ? (
        <dl className="grid grid-cols-1 gap-x-6 gap-y-1 text-sm sm:grid-cols-2">
          {rows.map(([label, value]) => (
            <div key={label} className="flex justify-between gap-4 border-b border-slate-100 py-1">
              <dt className="text-slate-500">{label}</dt>
              <dd className="text-right tabular-nums text-slate-900">{value}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      {data?.resourcesAt ? (
        <p className="mt-2 text-xs text-slate-500">
          Reported <RelativeTime date={data.resourcesAt} />.
        </p>
      ) : null}
      <div className="mt-4 flex flex-wrap items-center gap-3 text-sm">
        {canPrune ? (
          <Button
            variant="secondary"
            className="px-2 py-1 text-xs"
            disabled={prune.isPending || Boolean(data?.prunePendingSince)}
            onClick={() => prune.mutate({ teamId: team.id, hostId })}
          >
            Prune unused images
          </Button>
        ) : null}
        {data?.prunePendingSince ? (
          <span className="text-slate-600">
            Prune requested <RelativeTime date={data.prunePendingSince} />; the agent runs it with its next
            heartbeat.
          </span>
        ) : data?.lastPrune ? (
          <span className="text-slate-600">
            Last prune <RelativeTime date={new Date(data.lastPrune.finishedAt)} />:{" "}
            {data.lastPrune.removed.length} images removed, {size(data.lastPrune.freedBytes)} freed
            {data.lastPrune.error ? ` (${data.lastPrune.error})` : ""}.
          </span>
        ) : null}
        {prune.isError ? (
          <span role="alert" className="text-red-700">
            {errorMessage(prune.error)}
          </span>
        ) : null}
      </div>
    </div>
  );
}
