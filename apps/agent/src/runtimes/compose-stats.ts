// Resource use of one Compose project for heartbeats, through the Engine API: start time and
// restart count from `inspect`, CPU and memory from a one-shot `stats` (no stream), the image of
// the service's main container and its published ports.
import { IMAGE_REF_PATTERN, type ServicePort, type ServiceStats } from "@capstan/protocol";
import type Dockerode from "dockerode";
import type { DockerHost } from "../docker";

/** A project has a handful of containers; more is a misconfiguration we do not pay for. */
const MAX_CONTAINERS = 20;

interface StatsSample {
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; stats?: Record<string, number> };
}

/** `docker stats`'s own arithmetic: CPU % of one core from the Engine's two samples. */
export function cpuPercentOf(sample: StatsSample): number | undefined {
  const cpu = sample.cpu_stats?.cpu_usage?.total_usage;
  const preCpu = sample.precpu_stats?.cpu_usage?.total_usage;
  const system = sample.cpu_stats?.system_cpu_usage;
  const preSystem = sample.precpu_stats?.system_cpu_usage;
  if (cpu === undefined || preCpu === undefined || system === undefined || preSystem === undefined)
    return undefined;
  const cpuDelta = cpu - preCpu;
  const systemDelta = system - preSystem;
  if (systemDelta <= 0 || cpuDelta < 0) return 0;
  return (cpuDelta / systemDelta) * (sample.cpu_stats?.online_cpus ?? 1) * 100;
}

/** Memory as `docker stats` shows it: usage without the reclaimable page cache. */
export function memoryBytesOf(sample: StatsSample): number | undefined {
  const usage = sample.memory_stats?.usage;
  if (usage === undefined) return undefined;
  const stats = sample.memory_stats?.stats ?? {};
  const cache = stats.inactive_file ?? stats.total_inactive_file ?? 0;
  return Math.max(0, usage - cache);
}

function publishedPorts(summaries: Dockerode.ContainerInfo[]): ServicePort[] {
  const seen = new Map<string, ServicePort>();
  for (const c of summaries)
    for (const p of c.Ports ?? []) {
      // The Engine lists a port once per address family; one row each is enough.
      if (!p.PublicPort) continue;
      const protocol = p.Type === "udp" || p.Type === "sctp" ? p.Type : "tcp";
      seen.set(`${p.PublicPort}/${protocol}`, { published: p.PublicPort, target: p.PrivatePort, protocol });
    }
  return [...seen.values()].sort((a, b) => (a.published ?? 0) - (b.published ?? 0)).slice(0, 32);
}

export async function composeStats(
  docker: DockerHost,
  labels: string[],
  service: string,
  signal?: AbortSignal,
): Promise<ServiceStats> {
  const engine = await docker.engine();
  const all = await engine.listContainers({ all: true, filters: { label: labels }, abortSignal: signal });
  const containers = all.slice(0, MAX_CONTAINERS);
  if (!containers.length) return {};
  const byName = (c: Dockerode.ContainerInfo) => c.Labels?.["com.docker.compose.service"] ?? "";
  const main = containers.find((c) => byName(c) === service) ?? containers[0]!;
  const image = main.Image && IMAGE_REF_PATTERN.test(main.Image) ? main.Image : undefined;
  const running = containers.filter((c) => c.State === "running");
  const details = await Promise.all(
    containers.map(async (c) => {
      const container = engine.getContainer(c.Id);
      const [info, sample] = await Promise.all([
        container.inspect({ abortSignal: signal }),
        // Not one-shot: the Engine takes a second sample, so the CPU delta is real.
        c.State === "running"
          ? container
              .stats({ stream: false, abortSignal: signal } as { stream: false })
              .then((s) => s as StatsSample)
              .catch(() => undefined)
          : undefined,
      ]);
      return { info, sample };
    }),
  );
  let cpu: number | undefined;
  let memory: number | undefined;
  let startedAt: number | undefined;
  let restarts = 0;
  for (const { info, sample } of details) {
    restarts += info.RestartCount ?? 0;
    const started = Date.parse(info.State?.StartedAt ?? "");
    if (info.State?.Running && started > 0) startedAt = Math.max(startedAt ?? 0, started);
    const c = sample && cpuPercentOf(sample);
    const m = sample && memoryBytesOf(sample);
    if (c !== undefined) cpu = (cpu ?? 0) + c;
    if (m !== undefined) memory = (memory ?? 0) + m;
  }
  return {
    ...(startedAt && running.length ? { startedAt: new Date(startedAt).toISOString() } : {}),
    restarts,
    ...(cpu !== undefined ? { cpuPercent: Math.round(cpu * 100) / 100 } : {}),
    ...(memory !== undefined ? { memoryBytes: Math.round(memory) } : {}),
    ...(image ? { image } : {}),
    ports: publishedPorts(containers),
  };
}
