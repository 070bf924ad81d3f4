// The process's Prometheus registry (prom-client). Counters and histograms are observed here as
// things happen in this process; gauges are read from the database when /api/metrics is scraped
// (app/api/metrics/handle-metrics-request.ts). One registry per process, kept on globalThis so
// dev hot reload does not register the metrics twice; created on first use, not at import.
import "server-only";
import type { FleetGauges } from "@capstan/core/metrics/read-fleet-gauges";
import type { FinishedDeployment } from "@capstan/core/webhooks/enqueue-webhook-deliveries";
import {
  AggregatorRegistry,
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from "prom-client";

function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    hosts: new Gauge({ name: "capstan_hosts", help: "Hosts by status.", labelNames: ["status"], registers }),
    jobs: new Gauge({ name: "capstan_jobs", help: "Jobs by state.", labelNames: ["state"], registers }),
    deployments: new Gauge({
      name: "capstan_deployments",
      help: "Deployments by status.",
      labelNames: ["status"],
      registers,
    }),
    queueDepth: new Gauge({
      name: "capstan_job_queue_depth",
      help: "QUEUED jobs waiting for their host's agent to claim them.",
      registers,
    }),
    webhookDeliveries: new Gauge({
      name: "capstan_webhook_deliveries",
      help: "Webhook deliveries by status (PENDING includes ones waiting to retry).",
      labelNames: ["status"],
      registers,
    }),
    agentVersions: new Gauge({
      name: "capstan_agent_versions",
      help: "Enrolled hosts per agent version (unknown: not checked in yet).",
      labelNames: ["version"],
      registers,
    }),
    dispatchLatency: new Histogram({
      name: "capstan_job_dispatch_latency_seconds",
      help: "Time from a job's creation to its claim by an agent's poll.",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
      registers,
    }),
    deploymentDuration: new Histogram({
      name: "capstan_deployment_duration_seconds",
      help: "Time from a deployment's creation to its final status, by outcome.",
      labelNames: ["outcome"],
      buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600],
      registers,
    }),
    heartbeats: new Counter({
      name: "capstan_agent_heartbeats_total",
      help: "Agent heartbeats received and stored.",
      registers,
    }),
    agentRequestsShed: new Counter({
      name: "capstan_agent_requests_shed_total",
      help: "Agent requests answered 503 at once because the agent server had its limit of requests in progress.",
      registers,
    }),
    apiRequestDuration: new Histogram({
      name: "capstan_api_request_duration_seconds",
      help: "Duration of agent API and public API requests (agent polls include their long wait).",
      labelNames: ["api", "route", "method", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    webhookAttempts: new Counter({
      name: "capstan_webhook_delivery_attempts_total",
      help: "Webhook delivery attempts by event type and result.",
      labelNames: ["event", "result"],
      registers,
    }),
  };
}

export type CapstanMetrics = ReturnType<typeof createMetrics>;

const holder = globalThis as unknown as { capstanMetrics?: CapstanMetrics };

export function getMetrics(): CapstanMetrics {
  holder.capstanMetrics ??= createMetrics();
  return holder.capstanMetrics;
}

type RouteHandler<C> = (request: Request, context?: C) => Promise<Response>;

/** Wraps a route handler so its duration is observed, labelled with its fixed route name. */
export function instrumentApiRoute<C>(api: "agent" | "v1", route: string, handler: RouteHandler<C>) {
  return async (request: Request, context?: C): Promise<Response> => {
    const end = getMetrics().apiRequestDuration.startTimer({ api, route, method: request.method });
    let status = 500;
    try {
      const response = await handler(request, context);
      status = response.status;
      return response;
    } finally {
      end({ status: String(status) });
    }
  };
}

export function countHeartbeat(): void {
  getMetrics().heartbeats.inc();
}

export function observeDispatchLatency(seconds: number | null): void {
  if (seconds !== null) getMetrics().dispatchLatency.observe(seconds);
}

export function observeFinishedDeployments(finished: FinishedDeployment[]): void {
  const { deploymentDuration } = getMetrics();
  for (const d of finished) deploymentDuration.observe({ outcome: d.outcome }, d.durationSeconds);
}

export function countWebhookAttempt(eventType: string, ok: boolean): void {
  getMetrics().webhookAttempts.inc({ event: eventType, result: ok ? "success" : "failure" });
}

function setAll(gauge: Gauge<string>, label: string, values: Record<string, number>) {
  for (const [key, value] of Object.entries(values)) gauge.set({ [label]: key }, value);
}

/** Where the agent server answers its registry to the dashboard (`Authorization: Bearer <front token>`). */
export const AGENT_SERVER_METRICS_PATH = "/internal/agent-server/metrics";

/** Another process's registry (`getMetricsAsJSON`): the agent server's, beside the dashboard. */
export type ProcessMetrics = MetricObjectWithValues<MetricValue<string>>[];

/**
 * The text exposition, with the gauges set from `gauges` (read from the database just before).
 * `others`: registries of the control plane's other processes, summed in (counters and histograms
 * add up; the fleet gauges are set here only, so theirs add nothing).
 */
export async function renderMetrics(
  gauges: FleetGauges,
  others: ProcessMetrics[] = [],
): Promise<{ body: string; contentType: string }> {
  const m = getMetrics();
  setAll(m.hosts, "status", gauges.hostsByStatus);
  setAll(m.jobs, "state", gauges.jobsByState);
  setAll(m.deployments, "status", gauges.deploymentsByStatus);
  setAll(m.webhookDeliveries, "status", gauges.webhookDeliveriesByStatus);
  m.queueDepth.set(gauges.queueDepth);
  // Versions come and go: a version no host runs any more must leave the exposition.
  m.agentVersions.reset();
  setAll(m.agentVersions, "version", gauges.agentVersions);
  if (others.length === 0) return { body: await m.registry.metrics(), contentType: m.registry.contentType };
  const merged = AggregatorRegistry.aggregate([await m.registry.getMetricsAsJSON(), ...others]);
  return { body: await merged.metrics(), contentType: m.registry.contentType };
}
