"use client";
// The Fleet page: which agent version every host runs against the build this control plane
// serves, and (admins) ordering hosts to upgrade to it. Orders ride on heartbeat answers, so the
// page polls fast while any upgrade is waiting or running.
import { hasRole } from "@capstan/core/rbac/roles";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { HostsIcon } from "@/components/dashboard/icons";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Button, Card, EmptyState, ErrorNotice, PageHeader, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import { type FleetView as Fleet, outdatedHosts, refetchInterval, releaseFormats } from "./fleet-model";
import { FleetTable } from "./fleet-table";
import { UpgradeSummary } from "./upgrade-summary";
import { VersionBar } from "./version-bar";

export function FleetView() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const isAdmin = hasRole(team.role, "ADMIN");
  const query = useQuery({
    ...trpc.fleet.get.queryOptions({ teamId: team.id }),
    refetchInterval: (q) => refetchInterval(q.state.data),
  });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const upgrade = useMutation(
    trpc.fleet.upgrade.mutationOptions({
      onSuccess: () => {
        setSelected(new Set());
        return queryClient.invalidateQueries({ queryKey: trpc.fleet.get.queryKey({ teamId: team.id }) });
      },
    }),
  );

  const header = <PageHeader title="Fleet" description="Agent versions across your hosts, and upgrades." />;
  if (query.isPending)
    return (
      <>
        {header}
        <Spinner label="Loading the fleet" />
      </>
    );
  if (query.isError)
    return (
      <>
        {header}
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      </>
    );

  const fleet = query.data;
  const outdated = outdatedHosts(fleet);
  // Ids of hosts that disappeared (revoked) since they were ticked are not sent.
  const selectedIds = fleet.hosts.filter((h) => selected.has(h.id)).map((h) => h.id);
  const order = (hostIds: string[]) => upgrade.mutate({ teamId: team.id, hostIds });
  const canOrder = isAdmin && fleet.release.version !== null;

  return (
    <>
      {header}
      <div className="space-y-6">
        <ServedBuild release={fleet.release} />
        {fleet.hosts.length === 0 ? (
          <EmptyState icon={<HostsIcon />} title="No hosts yet">
            <p>
              The fleet lists every enrolled host with its agent version.{" "}
              <Link href={`/t/${team.slug}/hosts`} className="font-medium text-sky-700 hover:underline">
                Add a host
              </Link>{" "}
              to get started.
            </p>
          </EmptyState>
        ) : (
          <>
            <Card className="p-5">
              <h2 className="mb-3 text-sm font-medium text-slate-700">Hosts per agent version</h2>
              <VersionBar versions={fleet.versions} />
            </Card>
            {canOrder ? (
              <div className="flex flex-wrap items-center justify-end gap-2">
                <Button
                  type="button"
                  variant="secondary"
                  disabled={upgrade.isPending || selectedIds.length === 0}
                  onClick={() => order(selectedIds)}
                >
                  Upgrade selected{selectedIds.length ? ` (${selectedIds.length})` : ""}
                </Button>
                <Button
                  type="button"
                  disabled={upgrade.isPending || outdated.length === 0}
                  onClick={() => order(outdated.map((h) => h.id))}
                >
                  Upgrade all outdated ({outdated.length})
                </Button>
              </div>
            ) : null}
            {upgrade.isError ? (
              <ErrorNotice title="The upgrade was not requested" message={errorMessage(upgrade.error)} />
            ) : null}
            {upgrade.isSuccess ? (
              <UpgradeSummary result={upgrade.data} onDismiss={() => upgrade.reset()} />
            ) : null}
            <FleetTable
              teamSlug={team.slug}
              hosts={fleet.hosts}
              admin={
                canOrder
                  ? {
                      selected,
                      busy: upgrade.isPending,
                      onUpgrade: order,
                      onToggle: (id) =>
                        setSelected((s) => {
                          const next = new Set(s);
                          if (!next.delete(id)) next.add(id);
                          return next;
                        }),
                      onToggleAll: (all) => setSelected(new Set(all ? fleet.hosts.map((h) => h.id) : [])),
                    }
                  : null
              }
            />
          </>
        )}
      </div>
    </>
  );
}

/** What "upgrade" moves hosts to; without a VERSION file there is nothing to move to. */
function ServedBuild({ release }: { release: Fleet["release"] }) {
  if (release.version === null)
    return (
      <div role="alert" className="rounded-md border border-amber-200 bg-amber-50 p-4 text-sm text-amber-900">
        <p className="font-medium">No agent version to upgrade to</p>
        <p className="mt-1">
          There is no VERSION file in the agent build folder: rebuild with{" "}
          <code className="rounded bg-amber-100 px-1 font-mono text-xs">npm run build -w @capstan/agent</code>{" "}
          (or point CAPSTAN_AGENT_DIST_DIR at a build that has one).
        </p>
      </div>
    );
  const formats = releaseFormats(release);
  return (
    <Card className="p-5">
      <p className="text-sm text-slate-600">
        Agent build served: <span className="font-mono font-semibold text-slate-900">{release.version}</span>
      </p>
      <p className="mt-1 text-xs text-slate-500">
        {formats.length ? `Formats: ${formats.join(" · ")}` : "No agent files found in the build folder."}
      </p>
    </Card>
  );
}
