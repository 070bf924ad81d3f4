// What a host runs of a workflow, as the control plane ordered it: the payload of the latest
// successful deploy there. Later actions carry one service of it and change nothing; an undeploy
// after it means nothing of the workflow runs there any more.
import { type JobPayload, readJobPayload } from "../columns/job-payload";
import type { Db } from "../db";

export interface DeployedServices {
  payload: JobPayload;
  revisionId: string;
}

const PAGE = 50;

export async function findDeployedServices(
  db: Db,
  args: { teamId: string; hostId: string; workflow: string },
): Promise<DeployedServices | null> {
  for (let skip = 0; ; skip += PAGE) {
    const jobs = await db.job.findMany({
      where: {
        teamId: args.teamId,
        hostId: args.hostId,
        state: "SUCCEEDED",
        deployment: { workflow: { name: args.workflow } },
      },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      select: { payload: true, deployment: { select: { revisionId: true } } },
      skip,
      take: PAGE,
    });
    for (const job of jobs) {
      const payload = readJobPayload(job.payload);
      if (payload.action === "undeploy") return null;
      if (!payload.action) return { payload, revisionId: job.deployment.revisionId };
    }
    if (jobs.length < PAGE) return null;
  }
}

/** Whether a deployed service defines a reload: systemd and Nix units with a reloadSignal. */
export function canReload(spec: JobPayload["services"][number]["spec"]): boolean {
  if ("systemd" in spec) return Boolean(spec.systemd.reloadSignal);
  if ("nix" in spec) return Boolean(spec.nix.reloadSignal);
  return false;
}
