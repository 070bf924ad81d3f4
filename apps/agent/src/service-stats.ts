// Adds each managed service's resource use (runtimes' `stats`) to its heartbeat report. A runtime
// that cannot answer in time, or at all, leaves the report without stats: health still goes out.
import { type ServiceHealthReport, serviceStatsSchema } from "@capstan/protocol";
import type { HealthDeps } from "./heartbeat";

const STATS_TIMEOUT_MS = 10_000;

export async function withServiceStats(
  deps: HealthDeps,
  reports: ServiceHealthReport[],
  signal?: AbortSignal,
): Promise<ServiceHealthReport[]> {
  const timeout = AbortSignal.timeout(STATS_TIMEOUT_MS);
  const bounded = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const managed = new Map(deps.state.listServices().map((s) => [`${s.workflow}/${s.service}`, s]));
  return Promise.all(
    reports.map(async (report) => {
      const runtime = deps.runtimes[report.kind];
      const service = managed.get(`${report.workflow}/${report.service}`);
      if (!runtime?.stats || !service) return report;
      try {
        const ref = { workflow: report.workflow, service: report.service };
        const stats = serviceStatsSchema.safeParse(await runtime.stats(ref, service.healthChecks, bounded));
        return stats.success ? { ...report, stats: stats.data } : report;
      } catch {
        return report;
      }
    }),
  );
}
