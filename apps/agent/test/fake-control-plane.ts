// A hostile control plane for the trust tests: it speaks the agent protocol well enough for a real
// agent process to enroll, poll, heartbeat and report, and hands out whatever jobs the test
// queues (forged or genuine). Over http, or https with a given certificate.
import { randomUUID } from "node:crypto";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { type JobAssignment, type JobEvent, jobAssignmentSchema } from "@capstan/protocol";

export interface FakeControlPlane {
  url: string;
  hostId: string;
  /** Every request path, in order. */
  requests: string[];
  /** Bodies of /complete reports by job id. */
  completed: Map<string, { state: string; error?: string }>;
  /** Events the agent reported, by job id, in the order they arrived. */
  events: Map<string, JobEvent[]>;
  /** Jobs the next polls hand out, first in first out. */
  jobs: JobAssignment[];
  close(): Promise<void>;
}

export async function startFakeControlPlane(options: {
  /** The key the agent learns at enrollment. */
  controlPlaneKey?: string;
  tls?: { key: string; cert: string };
}): Promise<FakeControlPlane> {
  const hostId = randomUUID();
  const requests: string[] = [];
  const completed = new Map<string, { state: string; error?: string }>();
  const jobs: JobAssignment[] = [];
  const events = new Map<string, JobEvent[]>();
  const now = () => new Date().toISOString();

  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
    const path = new URL(req.url ?? "/", "http://x").pathname;
    requests.push(path);
    const json = (value: unknown) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (path === "/api/agent/v1/enroll") {
      return json({
        hostId,
        teamId: randomUUID(),
        hostName: "trust-test",
        status: "ONLINE",
        labels: {},
        heartbeatIntervalSeconds: 1,
        pollWaitSeconds: 1,
        controlPlaneKey: options.controlPlaneKey,
      });
    }
    if (path === "/api/agent/v1/poll") {
      const job = jobs.shift();
      if (!job) await new Promise((r) => setTimeout(r, 300));
      return json({ job: job ?? null, serverTime: now() });
    }
    if (path === "/api/agent/v1/heartbeat") {
      return json({ hostStatus: "ONLINE", heartbeatIntervalSeconds: 1, serverTime: now(), abandonJobs: [] });
    }
    const job = /^\/api\/agent\/v1\/jobs\/([^/]+)\/(lease|events|complete)$/.exec(path);
    if (job?.[2] === "lease")
      return json({ leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(), serverTime: now() });
    if (job?.[2] === "events") {
      const batch = body.events as JobEvent[];
      events.set(job[1]!, [...(events.get(job[1]!) ?? []), ...batch]);
      return json({ accepted: batch.length, lastSeq: Math.max(...batch.map((e) => e.seq)) });
    }
    if (job?.[2] === "complete") {
      completed.set(job[1]!, { state: body.state, error: body.error });
      return json({ state: body.state, reconciled: false });
    }
    res.writeHead(404).end();
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    answer(req, res).catch(() => res.writeHead(500).end());
  };
  const server: Server = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    hostId,
    requests,
    completed,
    events,
    jobs,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A well-formed compose job: one long-running container in project capstan-<workflow>-web. */
export function composeJob(workflow: string): JobAssignment {
  return serviceJob(workflow, "web", {
    compose: {
      inline: { services: { web: { image: "capstan-busybox:test", command: ["sleep", "600"] } } },
    },
    deadline: 60,
  });
}

/** A well-formed job for one service with `spec`, at revision `revision` (hash from its number). */
export function serviceJob(
  workflow: string,
  service: string,
  spec: Record<string, unknown>,
  revision = 1,
): JobAssignment {
  const now = new Date().toISOString();
  return jobAssignmentSchema.parse({
    id: randomUUID(),
    deploymentId: randomUUID(),
    leaseId: randomUUID(),
    leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
    leaseSeconds: 60,
    deadlineAt: new Date(Date.now() + 120_000).toISOString(),
    serverTime: now,
    attempt: 1,
    lastSeq: 0,
    workflow: { id: randomUUID(), name: workflow },
    revision: { id: randomUUID(), number: revision, hash: (revision % 16).toString(16).repeat(64) },
    rollback: false,
    services: [{ name: service, kind: "systemd" in spec ? "systemd" : "compose", spec, secrets: {} }],
    hostPolicy: {},
  });
}
