// Resource use of one Compose project for heartbeats, through the Engine API: start time and
// restart count from `inspect`, memory from a one-shot `stats`, CPU % from the CPU time used
// between two heartbeats, the image of the service's main container and its published ports.
//
// One-shot, not the Engine's two-sample `stream=false`: that one waits for two ticks of the
// daemon's stats collector, which walks every container anyone is watching one after the other;
// on a busy host it took longer than a heartbeat's budget and the sample came back empty (CI saw
// memory missing for two minutes). One-shot reads the cgroup directly (0.2 s vs 1.8 s measured
// under load), and the CPU delta is ours to keep, as the systemd runtime already does.
//
// Even one-shot waits for the collector's next tick on this Engine (20.10: ~1 s when idle), and on
// a saturated host a sample once outlasted every heartbeat's budget for two minutes. So a sample
// request is not tied to the heartbeat that asked: it runs to its own limit, and a heartbeat that
// stops waiting reports the newest sample that did arrive (if it is recent), not nothing.
import { IMAGE_REF_PATTERN, type ServicePort, type ServiceStats } from "@capstan/protocol";
import type Dockerode from "dockerode";
import type { DockerHost } from "../docker";

/** A project has a handful of containers; more is a misconfiguration we do not pay for. */
const MAX_CONTAINERS = 20;
/** How long one sample request may take, whoever is still waiting for it. */
const SAMPLE_TIMEOUT_MS = 60_000;
/** A sample older than this is not reported as the container's current use. */
const SAMPLE_MAX_AGE_MS = 120_000;

interface StatsSample {
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  memory_stats?: { usage?: number; stats?: Record<string, number> };
}

/** A container's CPU counter and the host's, as one sample carried them. */
interface CpuCounters {
  cpu: number;
  system: number;
  cpus: number;
}

function cpuCountersOf(sample: StatsSample): CpuCounters | undefined {
  const cpu = sample.cpu_stats?.cpu_usage?.total_usage;
  const system = sample.cpu_stats?.system_cpu_usage;
  if (!cpu || !system) return undefined;
  return { cpu, system, cpus: sample.cpu_stats?.online_cpus || 1 };
}

/** `docker stats`'s own arithmetic over two samples: CPU % of one core. */
export function cpuPercentBetween(before: CpuCounters, now: CpuCounters): number | undefined {
  const cpuDelta = now.cpu - before.cpu;
  const systemDelta = now.system - before.system;
  // A restarted container starts its counter over: no honest number from this pair.
  if (systemDelta <= 0 || cpuDelta < 0) return undefined;
  return (cpuDelta / systemDelta) * now.cpus * 100;
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

/** Resolves undefined when `signal` aborts (never rejects), so a race with it just stops waiting. */
function whenAborted(signal: AbortSignal | undefined): Promise<undefined> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve(undefined);
    else signal.addEventListener("abort", () => resolve(undefined), { once: true });
  });
}

export class ComposeStats {
  /** Each project's containers' CPU counters at the previous heartbeat. */
  private readonly last = new Map<string, Map<string, CpuCounters>>();
  /** Per container id: the sample request in flight, and the newest sample that arrived. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly newest = new Map<string, { sample: StatsSample; at: number }>();
  private readonly ids = new Map<string, Set<string>>();

  constructor(private readonly docker: DockerHost) {}

  /** The container's newest sample: waits for a request (starting one if none runs) until `signal`. */
  private async sample(
    container: Dockerode.Container,
    signal?: AbortSignal,
  ): Promise<StatsSample | undefined> {
    const id = container.id;
    let request = this.inFlight.get(id);
    if (!request) {
      request = container
        .stats({
          stream: false,
          "one-shot": true,
          abortSignal: AbortSignal.timeout(SAMPLE_TIMEOUT_MS),
        } as { stream: false })
        .then((sample) => {
          this.newest.set(id, { sample: sample as StatsSample, at: Date.now() });
        })
        .catch(() => {})
        .finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, request);
    }
    await Promise.race([request, whenAborted(signal)]);
    const newest = this.newest.get(id);
    return newest && Date.now() - newest.at <= SAMPLE_MAX_AGE_MS ? newest.sample : undefined;
  }

  /** Forgets the samples of the project's containers that are gone (removed or recreated). */
  private forgetGone(project: string, listed: Dockerode.ContainerInfo[]): void {
    const ids = new Set(listed.map((c) => c.Id));
    for (const id of this.ids.get(project) ?? []) if (!ids.has(id)) this.newest.delete(id);
    if (ids.size) this.ids.set(project, ids);
    else this.ids.delete(project);
  }

  async read(
    project: string,
    labels: string[],
    service: string,
    signal?: AbortSignal,
  ): Promise<ServiceStats> {
    const engine = await this.docker.engine();
    const all = await engine.listContainers({ all: true, filters: { label: labels }, abortSignal: signal });
    const containers = all.slice(0, MAX_CONTAINERS);
    this.forgetGone(project, containers);
    const before = this.last.get(project);
    const counters = new Map<string, CpuCounters>();
    if (containers.length) this.last.set(project, counters);
    else this.last.delete(project);
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
          c.State === "running" ? this.sample(container, signal) : undefined,
        ]);
        return { id: c.Id, info, sample };
      }),
    );
    let cpu: number | undefined;
    let memory: number | undefined;
    let startedAt: number | undefined;
    let restarts = 0;
    for (const { id, info, sample } of details) {
      restarts += info.RestartCount ?? 0;
      const started = Date.parse(info.State?.StartedAt ?? "");
      if (info.State?.Running && started > 0) startedAt = Math.max(startedAt ?? 0, started);
      const now = sample && cpuCountersOf(sample);
      if (now) counters.set(id, now);
      const previous = before?.get(id);
      const c = now && previous ? cpuPercentBetween(previous, now) : undefined;
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
}
