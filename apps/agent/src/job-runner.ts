// Runs one job: its services in dependsOn order (the control plane sends them sorted), each a
// step with events, under a lease that is renewed while we work. Events and the result go
// through the on-disk outbox, so an outage of the control plane loses nothing.
import {
  type AgentClient,
  type CompleteJobRequest,
  JOB_LOG_BUDGET_BYTES,
  JOB_LOG_NOTICE_RESERVE_BYTES,
  type JobAssignment,
  type JobEvent,
  StaleLeaseError,
  type StepState,
} from "@capstan/protocol";
import { findNameClash, type HostPolicy } from "@capstan/templates";
import { pause } from "./abort";
import type { OutboxItem } from "./delivery";
import { describeError } from "./disk-errors";
import type { Ingress } from "./ingress/ingress";
import type { Logger } from "./log";
import { releaseIdFor } from "./names";
import type { Outbox } from "./outbox";
import { type DeployOutcome, deployRelease } from "./runtimes/deploy-release";
import type { DeployLog, Runtimes } from "./runtimes/types";
import { runServiceAction } from "./service-action";
import type { InflightJob, StateStore } from "./state";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type EventInput = DistributiveOmit<JobEvent, "seq" | "at">;

export interface JobRunnerDeps {
  client: AgentClient;
  outbox: Outbox<OutboxItem>;
  state: StateStore;
  runtimes: Runtimes;
  log: Logger;
  leaseRenewMs: number;
  keepReleases: number;
  /**
   * The policy the runtimes enforce: the control plane's narrowed by this host's own
   * /etc/capstan/policy.json (host-policy.ts), so a compromised control plane cannot widen it.
   */
  effectivePolicy(sent: HostPolicy): HostPolicy;
  /** The host's ingress (ingress/ingress.ts): routes a service's domains once it runs healthy. */
  ingress?: Ingress;
}

export interface RunSignals {
  /** First SIGTERM: finish the current step, start no other. */
  stop: AbortSignal;
  /** Second SIGTERM: cancel the current step too. */
  cancel: AbortSignal;
}

export class JobRunner {
  private readonly active = new Map<string, { leaseId: string; abandon: AbortController }>();

  constructor(private readonly deps: JobRunnerDeps) {}

  activeJobs(): { jobId: string; leaseId: string }[] {
    return [...this.active].map(([jobId, j]) => ({ jobId, leaseId: j.leaseId }));
  }

  /** The control plane says this job is no longer ours (409 or heartbeat): stop working on it. */
  abandon(jobId: string): void {
    const job = this.active.get(jobId);
    if (job && !job.abandon.signal.aborted) {
      this.deps.log.warn({ jobId }, "abandoning job: its lease is no longer valid");
      job.abandon.abort();
    }
  }

  async run(job: JobAssignment, signals: RunSignals): Promise<CompleteJobRequest["state"]> {
    const abandon = new AbortController();
    this.active.set(job.id, { leaseId: job.leaseId, abandon });
    const renewer = new AbortController();
    const renewing = this.renewLease(
      job,
      abandon,
      AbortSignal.any([renewer.signal, signals.cancel, abandon.signal]),
    );
    try {
      return await this.runJob(job, signals, abandon);
    } catch (error) {
      return await this.reportUnrecordable(job, error);
    } finally {
      // Also when the job failed unexpectedly: a lease renewed for a job nobody works on would
      // keep it RUNNING on the control plane until its deadline.
      renewer.abort();
      await renewing;
      this.active.delete(job.id);
    }
  }

  /**
   * The runner could not record the job on disk (the in-flight file and the outbox live in the
   * state directory, typically full): the failure goes straight to the control plane, so the job
   * ends now in words rather than hanging until its lease runs out.
   */
  private async reportUnrecordable(job: JobAssignment, error: unknown): Promise<"FAILED"> {
    const { log, state, client } = this.deps;
    const message = `the agent could not record this job: ${describeError(error, state.dir)}`.slice(0, 4000);
    log.error({ jobId: job.id }, message);
    try {
      await client.completeJob(job.id, {
        leaseId: job.leaseId,
        state: "FAILED",
        error: message,
        services: job.services.map((s) => ({ service: s.name, state: "FAILED" as const, message })),
      });
    } catch (sendError) {
      log.warn({ jobId: job.id, err: (sendError as Error).message }, "could not report the failed job");
    }
    return "FAILED";
  }

  private async runJob(
    job: JobAssignment,
    signals: RunSignals,
    abandon: AbortController,
  ): Promise<CompleteJobRequest["state"]> {
    const { log, state } = this.deps;
    const releaseId = releaseIdFor(job.revision.hash, job.revision.number, job.bundle?.sha256);
    // Read the host's own policy file once per job, not once per service.
    const hostPolicy = this.deps.effectivePolicy(job.hostPolicy);
    const inflight: InflightJob = {
      jobId: job.id,
      leaseId: job.leaseId,
      workflow: job.workflow.name,
      revisionHash: job.revision.hash,
      releaseId,
      services: job.services.map((s) => ({ name: s.name, kind: s.kind, healthChecks: s.spec.healthChecks })),
      startedAt: new Date().toISOString(),
      seq: job.lastSeq,
    };
    state.saveInflight(inflight);
    const stepSignal = AbortSignal.any([signals.cancel, abandon.signal]);

    const emit = (event: EventInput, droppable = false) => {
      inflight.seq++;
      // The used number is on disk before the event can be sent: a crash in between leaves a gap
      // (harmless), never a number that reconcile would use again, which the control plane
      // would drop as a duplicate.
      state.saveInflight(inflight);
      const full = { ...event, seq: inflight.seq, at: new Date().toISOString() } as JobEvent;
      this.deps.outbox.append(
        { kind: "event", jobId: job.id, leaseId: job.leaseId, event: full },
        { droppable },
      );
    };
    // The control plane stores at most JOB_LOG_BUDGET_BYTES of a job's log lines (413 beyond):
    // past it the lines go only to the journal, announced by one notice. Steps are never cut.
    const logBudget = JOB_LOG_BUDGET_BYTES - JOB_LOG_NOTICE_RESERVE_BYTES;
    let logBytes = 0;
    let truncated = false;
    const emitLog = (event: Extract<EventInput, { type: "log" }>) => {
      if (truncated) return;
      const bytes = Buffer.byteLength(event.message);
      if (logBytes + bytes > logBudget) {
        truncated = true;
        const message = `deploy log truncated at ${logBytes} bytes; see the host's journal for the rest`;
        log.warn({ jobId: job.id }, message);
        emit({ type: "log", service: event.service, level: "warn", message });
        return;
      }
      logBytes += bytes;
      emit(event, event.level === "info");
    };
    const results: CompleteJobRequest["services"] = [];
    const release: { service: string; releaseId: string }[] = [];
    let failed: string | undefined;
    let cancelled = false;
    log.info({ jobId: job.id, workflow: job.workflow.name, revision: job.revision.number }, "job started");
    emitLog({
      type: "log",
      level: "info",
      message: job.action ? `agent started job: ${job.action}` : `agent started job (release ${releaseId})`,
    });

    for (const service of job.services) {
      if (failed || cancelled || signals.stop.aborted || abandon.signal.aborted) {
        const why = failed ? "SKIPPED" : "CANCELLED";
        if (!abandon.signal.aborted) emit({ type: "step", service: service.name, state: why });
        results.push({
          service: service.name,
          state: why,
          message: failed ? "an earlier step failed" : "agent stopping",
        });
        cancelled ||= !failed;
        continue;
      }
      emit({ type: "step", service: service.name, state: "RUNNING" });
      const outcome = await this.runService(
        job,
        hostPolicy,
        service,
        releaseId,
        stepSignal,
        (level, message) => {
          // The deploy log goes to the control plane and to the agent's own log (journald).
          log[level]({ jobId: job.id, service: service.name }, message);
          emitLog({ type: "log", service: service.name, level, message: message.slice(0, 8000) });
        },
      );
      if (abandon.signal.aborted) break;
      const stepState: StepState = outcome.ok ? "SUCCEEDED" : signals.cancel.aborted ? "CANCELLED" : "FAILED";
      emit({
        type: "step",
        service: service.name,
        state: stepState,
        message: outcome.message.slice(0, 8000),
      });
      results.push({ service: service.name, state: stepState, message: outcome.message.slice(0, 4000) });
      if (outcome.activeReleaseId)
        release.push({ service: service.name, releaseId: outcome.activeReleaseId });
      if (!outcome.ok) {
        if (signals.cancel.aborted) cancelled = true;
        else failed = `${service.name}: ${outcome.message}`;
      }
    }

    if (abandon.signal.aborted) {
      log.warn({ jobId: job.id }, "job abandoned");
      state.removeInflight(job.id);
      return "CANCELLED";
    }
    const final: CompleteJobRequest["state"] = failed ? "FAILED" : cancelled ? "CANCELLED" : "SUCCEEDED";
    const request: CompleteJobRequest = {
      leaseId: job.leaseId,
      state: final,
      error:
        failed?.slice(0, 4000) ?? (cancelled ? "the agent was stopped before the job finished" : undefined),
      services: results,
      release: release.length ? { revisionHash: job.revision.hash, services: release } : null,
    };
    this.deps.outbox.append({ kind: "complete", jobId: job.id, leaseId: job.leaseId, request });
    state.removeInflight(job.id);
    log.info({ jobId: job.id, state: final }, "job finished");
    return final;
  }

  private async runService(
    job: JobAssignment,
    hostPolicy: HostPolicy,
    service: JobAssignment["services"][number],
    releaseId: string,
    signal: AbortSignal,
    log: DeployLog,
  ): Promise<DeployOutcome> {
    const { state } = this.deps;
    const workflow = job.workflow.name;
    const spec = service.spec;
    const previous = state.getService(workflow, service.name);
    const previousReleaseId =
      previous && previous.releaseId !== releaseId ? previous.releaseId : previous?.previousReleaseId;
    // A release command has its own time on top of the service's deadline (core's jobBudgetMs too).
    const stepSeconds = spec.deadline + (spec.release?.timeout ?? 0);
    const deadline = Math.min(Date.now() + stepSeconds * 1000, Date.parse(job.deadlineAt) || Infinity);
    if (job.action) {
      const order = {
        workflow,
        service: service.name,
        action: job.action,
        command: job.command,
        removeVolumes: job.removeVolumes,
        secrets: service.secrets,
      };
      // A command's own timeout counts, not the service's deploy deadline.
      const until = job.command ? Date.parse(job.deadlineAt) || deadline : deadline;
      return runServiceAction(
        this.deps.runtimes[service.kind],
        state,
        order,
        signal,
        until,
        log,
        this.deps.ingress,
      );
    }
    const clash = findNameClash(state.listServices(), workflow, service.name);
    if (clash) {
      return {
        ok: false,
        rolledBack: false,
        message: `${workflow}/${service.name} would use the name capstan-${workflow}-${service.name}, which ${clash.workflow}/${clash.service} already uses on this host; rename the workflow or the service`,
      };
    }
    const runtime = this.deps.runtimes[service.kind];
    if (!runtime) return { ok: false, message: "unknown service kind", rolledBack: false };
    const { ingress } = this.deps;
    const ref = { workflow, service: service.name };
    // A routed service switches its route to the new release once that runs healthy beside the
    // old one (runtimes/switch-release.ts): the route moves before the old release stops.
    const switchRoute =
      ingress && spec.domains?.length
        ? async (s: AbortSignal) => {
            await ingress.routeService(ref, service.kind, spec, job.tls, s, log);
          }
        : undefined;
    try {
      const outcome = await deployRelease(
        runtime,
        {
          request: {
            ref,
            releaseId,
            revision: { number: job.revision.number, hash: job.revision.hash },
            spec,
            secrets: service.secrets,
            hostPolicy,
            bundle: job.bundle ?? undefined,
          },
          previousReleaseId,
          firstRelease: previous === null,
          autoRollback: job.autoRollback,
          keepReleases: this.deps.keepReleases,
          stateDir: state.dir,
          registries: job.registries,
          switchRoute,
        },
        { log, signal, deadline },
      );
      if (outcome.activeReleaseId) {
        const now = outcome.activeReleaseId === releaseId;
        // A failed release left running (autoRollback off) gets no route.
        const routed =
          (now && !outcome.ok) || outcome.routed
            ? undefined
            : await this.route(job, service, now, signal, log);
        if (routed) Object.assign(outcome, routed);
        state.saveService({
          workflow,
          service: service.name,
          kind: service.kind,
          revisionHash: now ? job.revision.hash : (previous?.revisionHash ?? job.revision.hash),
          releaseId: outcome.activeReleaseId,
          previousReleaseId: now ? previousReleaseId : previous?.previousReleaseId,
          previousRevisionHash: now ? previous?.revisionHash : previous?.previousRevisionHash,
          healthChecks: now ? spec.healthChecks : (previous?.healthChecks ?? spec.healthChecks),
          updatedAt: new Date().toISOString(),
        });
      }
      return outcome;
    } catch (error) {
      // The step's message carries the error; the deploy log does not repeat it.
      return { ok: false, message: describeError(error, state.dir).slice(0, 2000), rolledBack: false };
    }
  }

  /**
   * A service that runs healthy gets its domains routed (or loses routes it no longer has); after
   * a rollback its routes follow what runs again. A route the ingress refuses fails the step: the
   * release runs, but it is not reachable the way the workflow says.
   */
  private async route(
    job: JobAssignment,
    service: JobAssignment["services"][number],
    deployed: boolean,
    signal: AbortSignal,
    log: DeployLog,
  ): Promise<Pick<DeployOutcome, "ok" | "message"> | undefined> {
    const { ingress } = this.deps;
    if (!ingress) return undefined;
    const ref = { workflow: job.workflow.name, service: service.name };
    try {
      if (!deployed) {
        await ingress.refreshService(ref, service.kind, signal);
        return undefined;
      }
      const names = await ingress.routeService(ref, service.kind, service.spec, job.tls, signal, log);
      if (names.length) log("info", `routed ${names.map((n) => `https://${n}`).join(", ")}`);
      return undefined;
    } catch (error) {
      const message = `the release runs, but the ingress could not route its domains: ${(error as Error).message}`;
      log("error", message);
      return { ok: false, message: message.slice(0, 2000) };
    }
  }

  private async renewLease(job: JobAssignment, abandon: AbortController, signal: AbortSignal): Promise<void> {
    const every = Math.max(1000, Math.min(this.deps.leaseRenewMs, (job.leaseSeconds * 1000) / 3));
    while (await pause(every, signal)) {
      try {
        await this.deps.client.renewLease(job.id, { leaseId: job.leaseId }, { signal });
      } catch (error) {
        if (error instanceof StaleLeaseError) {
          this.deps.log.warn({ jobId: job.id }, "lease renewal refused (409): abandoning the job");
          abandon.abort();
          return;
        }
        // Outages are expected; the outbox keeps our events and we try again on the next tick.
        if (!signal.aborted)
          this.deps.log.warn({ jobId: job.id, err: (error as Error).message }, "lease renewal failed");
      }
    }
  }
}
