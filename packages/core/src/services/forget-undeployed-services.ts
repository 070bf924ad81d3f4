// After a successful undeploy the host no longer runs the workflow's services: their health rows
// go, so no page lists them as live (the agent stops reporting them once it removed them).

import { readJobPayload } from "../columns/job-payload";
import type { Db } from "../db";

export async function forgetUndeployedServices(
  tx: Db,
  job: { id: string; hostId: string },
  services: readonly { service: string; state: string }[],
): Promise<void> {
  const row = await tx.job.findUniqueOrThrow({ where: { id: job.id }, select: { payload: true } });
  const payload = readJobPayload(row.payload);
  if (payload.action !== "undeploy") return;
  const removed = services.filter((s) => s.state === "SUCCEEDED").map((s) => s.service);
  if (!removed.length) return;
  await tx.serviceHealth.deleteMany({
    where: { hostId: job.hostId, workflow: payload.workflow.name, service: { in: removed } },
  });
}
