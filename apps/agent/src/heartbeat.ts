// Heartbeats: every ~15 s, the health of every managed service, facts when they changed, the
// Docker Engine's state, the jobs we are working on and the outcome of an agent upgrade. The answer
// can tell us to abandon jobs or to upgrade the agent.
import { type AgentClient, AgentUnauthorizedError, type ServiceHealthReport } from "@capstan/protocol";
import { pause } from "./abort";
import type { DockerHost, DockerStatus } from "./docker";
import { collectFacts } from "./facts";
import type { TaskReporter } from "./heartbeat-tasks";
import type { Housekeeper } from "./housekeeping";
import type { CertificateReporter } from "./ingress/certificate-state";
import { Inventory } from "./inventory";
import type { Logger } from "./log";
import type { Runtimes } from "./runtimes/types";
import { withServiceStats } from "./service-stats";
import type { ManagedService, StateStore } from "./state";
import type { ControlPlaneTrust } from "./trust";
import type { Upgrader } from "./upgrade";
import { AGENT_VERSION } from "./version";

export interface HealthDeps {
  state: StateStore;
  runtimes: Runtimes;
  docker: DockerHost;
}

const STOPPED_ON_REQUEST = "stopped on request; start it or deploy again to run it";

export async function serviceHealth(
  deps: HealthDeps,
  service: ManagedService,
  signal?: AbortSignal,
): Promise<ServiceHealthReport> {
  const base = {
    workflow: service.workflow,
    service: service.service,
    kind: service.kind,
    revisionHash: service.revisionHash.slice(0, 200),
  };
  try {
    const ref = { workflow: service.workflow, service: service.service };
    const probe = await deps.runtimes[service.kind].probe(ref, service.healthChecks, signal);
    if (service.stopped && probe.status !== "HEALTHY")
      return { ...base, status: "STOPPED", detail: STOPPED_ON_REQUEST };
    return { ...base, status: probe.status, detail: probe.detail.slice(0, 1024) };
  } catch (error) {
    return { ...base, status: "UNKNOWN", detail: (error as Error).message.slice(0, 1024) };
  }
}

export async function allServiceHealth(
  deps: HealthDeps,
  signal?: AbortSignal,
): Promise<ServiceHealthReport[]> {
  const services = deps.state.listServices().slice(0, 500);
  return Promise.all(services.map((s) => serviceHealth(deps, s, signal)));
}

export interface HeartbeatLoopDeps extends HealthDeps {
  client: AgentClient;
  log: Logger;
  intervalMs: number;
  activeJobs(): { jobId: string; leaseId: string }[];
  abandon(jobId: string): void;
  onUnauthorized(error: AgentUnauthorizedError): void;
  upgrader?: Pick<Upgrader, "report" | "acknowledged" | "accept">;
  trust?: Pick<ControlPlaneTrust, "learnFromHeartbeat">;
  housekeeping?: Pick<Housekeeper, "beforeBeat" | "afterBeat" | "beatFailed">;
  tasks?: Pick<TaskReporter, "changed">;
  certificates?: Pick<CertificateReporter, "changed">;
}

export class HeartbeatLoop {
  private lastFacts = "";
  private intervalMs: number;
  private readonly inventory = new Inventory();

  constructor(private readonly deps: HeartbeatLoopDeps) {
    this.intervalMs = deps.intervalMs;
  }

  async beat(signal?: AbortSignal): Promise<void> {
    const { deps } = this;
    const services = await withServiceStats(deps, await allServiceHealth(deps, signal), signal);
    // Hosts without Docker never load dockerode; hosts with Docker or compose services report it.
    const usesDocker = services.some((s) => deps.runtimes[s.kind]?.usesDocker) || deps.docker.installed();
    const docker: DockerStatus | undefined = usesDocker ? await deps.docker.status(signal) : undefined;
    const facts = await collectFacts(deps.state.dir, docker?.available ? deps.docker : null);
    const factsJson = JSON.stringify(facts);
    const unmanaged = await this.inventory.changed(
      deps.runtimes,
      services,
      docker?.available ? deps.docker : null,
      signal,
    );
    const tasks = await deps.tasks?.changed(signal);
    const certificates = deps.certificates?.changed();
    const upgrade = deps.upgrader?.report();
    const housekeeping = (await deps.housekeeping?.beforeBeat()) ?? {};
    const response = await deps.client
      .heartbeat(
        {
          agentVersion: AGENT_VERSION,
          facts: factsJson === this.lastFacts ? undefined : facts,
          services,
          activeJobs: deps.activeJobs(),
          docker: docker ? { available: docker.available, detail: docker.detail?.slice(0, 1024) } : undefined,
          upgrade,
          unmanaged,
          tasks: tasks?.reports,
          certificates: certificates?.reports,
          ...housekeeping,
        },
        { signal },
      )
      .catch((error: Error) => {
        deps.housekeeping?.beatFailed();
        throw error;
      });
    this.lastFacts = factsJson;
    this.inventory.accepted(unmanaged);
    tasks?.accepted();
    certificates?.accepted();
    this.intervalMs = Math.max(1000, Math.min(deps.intervalMs, response.heartbeatIntervalSeconds * 1000));
    for (const jobId of response.abandonJobs) deps.abandon(jobId);
    if (upgrade) await deps.upgrader?.acknowledged(upgrade);
    deps.trust?.learnFromHeartbeat(response.controlPlaneKey);
    if (response.upgrade) deps.upgrader?.accept(response.upgrade);
    deps.housekeeping?.afterBeat(housekeeping.prune, response.prune);
    deps.state.saveContact({ at: new Date().toISOString(), ok: true, services });
  }

  async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.beat(signal);
      } catch (error) {
        if (error instanceof AgentUnauthorizedError) {
          this.deps.onUnauthorized(error);
          return;
        }
        if (!signal.aborted) {
          this.deps.log.warn({ err: (error as Error).message }, "heartbeat failed");
          this.deps.state.saveContact({
            at: new Date().toISOString(),
            ok: false,
            detail: (error as Error).message,
          });
        }
      }
      // A little jitter keeps a fleet restarted together from beating in lock-step.
      if (!(await pause(this.intervalMs * (0.9 + Math.random() * 0.2), signal))) return;
    }
  }
}
