// After a restart (crash, kill -9, reboot) the agent does not trust its memory of an unfinished
// job: it looks at what actually runs for each of that job's services, records it, and reports
// it as the job's result. Heartbeats then keep reporting the real health.
import type { CompleteJobRequest } from "@capstan/protocol";
import type { OutboxItem } from "./delivery";
import { type HealthDeps, serviceHealth } from "./heartbeat";
import type { Logger } from "./log";
import type { Outbox } from "./outbox";

export async function reconcile(
  deps: HealthDeps & { outbox: Outbox<OutboxItem>; log: Logger },
): Promise<number> {
  const jobs = deps.state.listInflight();
  for (const job of jobs) {
    const services: CompleteJobRequest["services"] = [];
    const release: { service: string; releaseId: string }[] = [];
    const lines: string[] = [];
    const { workflow } = job;
    for (const { name, kind, healthChecks } of job.services) {
      const known = deps.state.getService(workflow, name);
      const running = await deps.runtimes[kind].currentRelease({ workflow, service: name }).catch(() => null);
      const isNewRelease = running === job.releaseId;
      const probeAs = {
        workflow,
        service: name,
        kind,
        revisionHash: isNewRelease ? job.revisionHash : (known?.revisionHash ?? job.revisionHash),
        releaseId: running ?? known?.releaseId ?? job.releaseId,
        healthChecks: isNewRelease ? healthChecks : (known?.healthChecks ?? healthChecks),
        updatedAt: new Date().toISOString(),
      };
      const health = await serviceHealth(deps, probeAs);
      const ok = isNewRelease && health.status === "HEALTHY";
      // Record what runs, so heartbeats and the next deploy's rollback start from reality.
      if (running && running !== known?.releaseId) {
        deps.state.saveService({
          ...probeAs,
          previousReleaseId: known?.releaseId,
          previousRevisionHash: known?.revisionHash,
        });
      }
      if (running) release.push({ service: name, releaseId: running });
      const detail = `${name}: running release ${running ?? "none"}, ${health.status}${health.detail ? ` (${health.detail})` : ""}`;
      lines.push(detail);
      services.push({
        service: name,
        state: ok ? "SUCCEEDED" : running ? "FAILED" : "UNKNOWN",
        message: detail.slice(0, 4000),
      });
    }
    const message = `agent restarted during this job; what actually runs now: ${lines.join("; ")}`;
    deps.log.warn({ jobId: job.jobId }, message);
    deps.outbox.append({
      kind: "event",
      jobId: job.jobId,
      leaseId: job.leaseId,
      event: {
        type: "log",
        seq: job.seq + 1,
        at: new Date().toISOString(),
        level: "warn",
        message: message.slice(0, 8000),
      },
    });
    deps.outbox.append({
      kind: "complete",
      jobId: job.jobId,
      leaseId: job.leaseId,
      request: {
        leaseId: job.leaseId,
        state: "FAILED",
        error: "the agent restarted before the job finished; see the reported state of each service",
        services,
        release: release.length ? { revisionHash: job.revisionHash, services: release } : null,
      },
    });
    deps.state.removeInflight(job.jobId);
  }
  return jobs.length;
}
