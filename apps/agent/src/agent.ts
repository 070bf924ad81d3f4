// Wires the agent together: enrollment, reconciliation, then four loops (poll, heartbeat,
// outbox delivery, live log orders) until a signal or a fatal error stops it.
import { AgentClientError, type AgentUnauthorizedError } from "@capstan/protocol";
import { backoffDelay, pause } from "./abort";
import { createClient, ensureEnrolled } from "./client";
import { type AgentConfig, tightenConfigMode } from "./config";
import { Delivery, type OutboxItem } from "./delivery";
import { DockerHost } from "./docker";
import { collectFacts } from "./facts";
import { HeartbeatLoop } from "./heartbeat";
import { TaskReporter } from "./heartbeat-tasks";
import { resolveHostPolicy } from "./host-policy";
import { Housekeeper } from "./housekeeping";
import { pruneImages } from "./image-prune";
import { createIngress, restoreIngress } from "./ingress/create-ingress";
import { refreshRoutesLoop } from "./ingress/refresh-routes";
import { JobRunner, type RunSignals } from "./job-runner";
import type { Logger } from "./log";
import { followDeployed } from "./log-streams/follow-deployed";
import { LogStreams } from "./log-streams/log-streams-loop";
import { Outbox } from "./outbox";
import { pollLoop } from "./poll-loop";
import { reconcile } from "./reconcile";
import { collectResources, ResourceReporter } from "./resources";
import { createRuntimes } from "./runtimes/runtimes";
import { StateStore } from "./state";
import { ControlPlaneTrust, controlPlaneFetch } from "./trust";
import { detectRunningAgent, ownSystemdUnit, Upgrader } from "./upgrade";
import { AGENT_VERSION } from "./version";

export const EXIT_OK = 0;
export const EXIT_CONFIG = 2;
export const EXIT_UNAUTHORIZED = 3;
export const EXIT_ENROLLMENT_REFUSED = 4;

/** How long a clean stop may spend delivering what is left in the outbox. */
const FLUSH_ON_STOP_MS = 10_000;

export async function runAgent(config: AgentConfig, log: Logger, signals: RunSignals): Promise<number> {
  const state = new StateStore(config.stateDir);
  state.init();
  if (tightenConfigMode(config.configFile)) {
    log.warn({ file: config.configFile }, "the config file was readable by others; its mode is now 0600");
  }
  const docker = new DockerHost(config.dockerSocket, config.underSystemd);
  log.info({ version: AGENT_VERSION, url: config.url, stateDir: config.stateDir }, "capstan-agent starting");

  let identity: Awaited<ReturnType<typeof ensureEnrolled>> | undefined;
  for (let attempt = 0; !identity; attempt++) {
    try {
      identity = await ensureEnrolled(
        config,
        state,
        () => collectFacts(config.stateDir, docker),
        log,
        signals.stop,
      );
    } catch (error) {
      if (signals.stop.aborted) return EXIT_OK;
      if (error instanceof AgentClientError && !error.retryable) {
        log.fatal({ reason: error.reason, status: error.status }, `enrollment refused: ${error.message}`);
        return EXIT_ENROLLMENT_REFUSED;
      }
      if (!(error instanceof AgentClientError)) throw error;
      const delay = backoffDelay(attempt, 1000, 60_000);
      log.warn({ err: error.message, retryInMs: delay }, "enrollment failed; retrying");
      if (!(await pause(delay, signals.stop))) return EXIT_OK;
    }
  }

  const client = createClient(config, state, identity, log);
  const trust = new ControlPlaneTrust({ stateDir: config.stateDir, hostId: identity.hostId, log, client });
  const outbox = new Outbox<OutboxItem>(state.outboxDir, { maxBytes: config.outboxMaxBytes });
  const runtimes = createRuntimes(config, state, docker, client);
  const { compose } = runtimes;
  const {
    ingress,
    process: ingressProcess,
    certificates,
  } = createIngress(
    config,
    docker,
    (ref) => compose.label!(ref),
    (ref, kind, port) => runtimes[kind].servingPort?.(ref, port) ?? port,
  );
  await restoreIngress(ingress, log, signals.stop);
  const runner = new JobRunner({
    client,
    outbox,
    state,
    runtimes,
    log,
    leaseRenewMs: config.leaseRenewMs,
    keepReleases: config.keepReleases,
    effectivePolicy: (sent) => resolveHostPolicy(config, sent, log),
    ingress,
  });

  const background = new AbortController();
  let exitCode = EXIT_OK;
  const fatalStop = new AbortController();
  const onUnauthorized = (error: AgentUnauthorizedError) => {
    if (fatalStop.signal.aborted) return;
    exitCode = EXIT_UNAUTHORIZED;
    log.fatal(
      { reason: error.reason, hostId: identity.hostId },
      error.revoked
        ? "this host was revoked in the control plane; stopping. Re-install the agent with a new enrollment token to enroll it again."
        : `the control plane does not accept this host's key (${error.message}); stopping. Re-enroll the host.`,
    );
    fatalStop.abort();
  };
  const onContact = (ok: boolean, detail?: string) => {
    if (!ok) state.saveContact({ at: new Date().toISOString(), ok, detail: detail?.slice(0, 500) });
  };

  const reconciled = await reconcile({ state, runtimes, docker, outbox, log });
  if (reconciled) log.warn({ jobs: reconciled }, "reported the real state of jobs interrupted by a restart");

  const upgrader = new Upgrader({
    stateDir: config.stateDir,
    url: config.url,
    arch: process.arch,
    running: detectRunningAgent(),
    unit: config.underSystemd ? ownSystemdUnit() : null,
    log,
    fetch: controlPlaneFetch(config.pin, log),
    verify: (order) => trust.accept("agent-upgrade", order),
  });

  const delivery = new Delivery(outbox, client, log, {
    onStaleLease: (jobId) => runner.abandon(jobId),
    onUnauthorized,
    onContact,
  });
  const heartbeat = new HeartbeatLoop({
    client,
    log,
    state,
    runtimes,
    docker,
    intervalMs: config.heartbeatMs,
    activeJobs: () => runner.activeJobs(),
    abandon: (jobId) => runner.abandon(jobId),
    onUnauthorized,
    upgrader,
    trust,
    housekeeping: new Housekeeper({
      stateDir: config.stateDir,
      log,
      resources: new ResourceReporter(() =>
        collectResources(config.stateDir, docker.installed() ? docker : null),
      ),
      prune: (orderId) => pruneImages(docker, state.composeDir, orderId),
      verify: (order) => trust.accept("host-prune", order),
      pruneEveryMs: config.pruneEveryMs,
    }),
    tasks: new TaskReporter(config.unitDir),
    certificates,
  });

  const bgSignal = AbortSignal.any([background.signal, fatalStop.signal]);
  // Live logs poll on their own, so they flow while a deploy runs.
  const logStreams = new LogStreams({ client, follow: followDeployed(state, runtimes), log, onUnauthorized });
  const refreshRoutes = refreshRoutesLoop(
    { ingress, intervalMs: config.heartbeatMs, busy: () => runner.activeJobs().length > 0, log },
    bgSignal,
  );
  const loops = [delivery.loop(bgSignal), heartbeat.loop(bgSignal), logStreams.loop(bgSignal), refreshRoutes];
  await pollLoop(
    {
      client,
      runner,
      trust,
      log,
      onUnauthorized,
      onContact,
      beforePoll: (stop) => upgrader.beforePoll(stop),
      interruptSignal: () => upgrader.interruptSignal(),
    },
    {
      stop: AbortSignal.any([signals.stop, fatalStop.signal]),
      cancel: AbortSignal.any([signals.cancel, fatalStop.signal]),
    },
  );
  if (!fatalStop.signal.aborted && outbox.size) {
    log.info({ pending: outbox.size }, "delivering the outbox before stopping");
    const flushStop = AbortSignal.any([AbortSignal.timeout(FLUSH_ON_STOP_MS), signals.cancel]);
    while (outbox.size && !flushStop.aborted && (await delivery.deliverOnce(flushStop))) {}
    if (outbox.size)
      log.warn({ pending: outbox.size }, "stopping with undelivered events; they are sent after restart");
  }
  background.abort();
  await Promise.allSettled(loops);
  // A child Caddy stops with the agent; the systemd unit keeps serving on its own.
  if (!config.underSystemd) await ingressProcess.stop().catch(() => {});
  log.info({ exitCode }, "capstan-agent stopped");
  return exitCode;
}
