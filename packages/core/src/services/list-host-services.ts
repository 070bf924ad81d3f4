// The services a host runs, as its agent reports them, with what an operator can do to each:
// for `capstan services HOST`, the public API and the host page's buttons.
import type { Db } from "../db";
import { findTeamHost } from "../hosts/find-team-host";
import type { HostDetail } from "../hosts/get-host";
import { toServiceStats } from "../hosts/service-inventory";
import { canReload, findDeployedServices } from "./find-deployed-services";

export type HostService = Omit<HostDetail["services"][number], "domains"> & {
  /** The revision the control plane last deployed there, when it did. */
  revision: number | null;
  /** Whether `reload` is possible (a systemd or Nix unit with a reloadSignal). */
  reloadable: boolean;
};

export async function listHostServices(
  db: Db,
  args: { teamId: string; hostId: string },
): Promise<{ host: { id: string; name: string }; items: HostService[] }> {
  const host = await findTeamHost(db, args);
  const rows = await db.serviceHealth.findMany({
    where: { hostId: host.id },
    omit: { statsHistory: true },
    orderBy: [{ workflow: "asc" }, { service: "asc" }],
  });
  const deployed = new Map<string, Awaited<ReturnType<typeof findDeployedServices>>>();
  for (const workflow of new Set(rows.map((r) => r.workflow)))
    deployed.set(
      workflow,
      await findDeployedServices(db, { teamId: args.teamId, hostId: host.id, workflow }),
    );
  return {
    host: { id: host.id, name: host.name },
    items: rows.map((row) => {
      const last = deployed.get(row.workflow);
      const spec = last?.payload.services.find((s) => s.name === row.service)?.spec;
      return {
        workflow: row.workflow,
        service: row.service,
        kind: row.kind,
        status: row.status,
        detail: row.detail,
        revisionHash: row.revisionHash,
        stats: toServiceStats(row.stats),
        revision: last?.payload.revision.number ?? null,
        reloadable: spec ? canReload(spec) : false,
        updatedAt: row.updatedAt,
      };
    }),
  };
}
