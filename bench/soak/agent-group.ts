// One process of simulated agents for the soak (run by main.ts; kill -9 takes all of them down
// at once, as a host crash would). Each agent speaks the real protocol: long-polls, heartbeats,
// renews its lease, posts step events and completes. Its "deploy" is real work on disk: a release
// written in chunks (fsync'd) then renamed into place, so a full disk really fails it. Every job
// start and stop, and every acknowledged report, goes to the journal (journal.ts).
//
// Faults arrive over IPC: `skew` bends Date.now() (which the request signer reads), `disk`
// points the work folder at a tiny tmpfs (or, where mounting is not allowed, makes writes fail
// with a simulated ENOSPC), `drain` stops polling so the process can exit cleanly.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { type AgentClient, AgentClientError, createAgentClient, type JobAssignment } from "@capstan/protocol";
import { appendJournal, realNow } from "./journal";

export interface AgentGroupConfig {
  journal: string;
  workDir: string;
  heartbeatSeconds: number;
  agents: { hostId: string; name: string; privateKeyPem: string; baseUrl: string }[];
}

export type GroupMessage =
  | { type: "skew"; seconds: number }
  | { type: "disk"; dir: string | null; simulated: boolean }
  | { type: "drain" };

const config = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as AgentGroupConfig;
const realDateNow = Date.now.bind(Date);
let skewMs = 0;
Date.now = () => realDateNow() + skewMs;
let workDir = config.workDir;
let simulatedFull = false;
let draining = false;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const journal = (entry: Parameters<typeof appendJournal>[1]) => appendJournal(config.journal, entry);

process.on("message", (message: GroupMessage) => {
  if (message.type === "skew") skewMs = message.seconds * 1000;
  else if (message.type === "disk") {
    workDir = message.dir ?? config.workDir;
    simulatedFull = message.simulated;
  } else draining = true;
});

class Fenced extends Error {}

/**
 * One call with the agent's retry rules: network, 5xx and 429 are retried with jittered backoff
 * (the real agent keeps them in its outbox), 409 means the lease is gone. Gives up after
 * `giveUpMs` (the job is then abandoned, as an agent whose outbox overflowed would).
 */
async function call<T>(
  host: string,
  job: string,
  fn: () => Promise<T>,
  options: { giveUpMs?: number; signal?: AbortSignal } = {},
): Promise<T> {
  const until = realNow() + (options.giveUpMs ?? 180_000);
  let backoff = 250;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      options.signal?.throwIfAborted();
      if (error instanceof AgentClientError && error.status === 409) {
        journal({ t: realNow(), host, type: "fenced", job, reason: error.reason ?? error.message });
        throw new Fenced(error.message);
      }
      const retryable = !(error instanceof AgentClientError) || error.retryable;
      if (!retryable || realNow() > until) throw error;
      await sleep(
        (error instanceof AgentClientError ? (error.retryAfterMs ?? 0) : 0) + backoff * (0.5 + Math.random()),
      );
      backoff = Math.min(backoff * 2, 5000);
    }
  }
}

/** Writes the release: `chunks` fsync'd 8 KiB writes, paced, then an atomic rename. */
async function writeRelease(
  host: string,
  job: string,
  chunks: number,
  paceMs: number,
  fenced: () => boolean,
) {
  const dir = join(workDir, host);
  mkdirSync(dir, { recursive: true });
  const part = join(dir, `${job}.part`);
  const chunk = Buffer.alloc(8192, job.slice(0, 8));
  const fd = openSync(part, "w");
  try {
    for (let i = 0; i < chunks; i++) {
      if (fenced()) throw new Fenced("the lease was lost while working");
      if (simulatedFull)
        throw Object.assign(new Error("ENOSPC: no space left on device (simulated)"), { code: "ENOSPC" });
      writeSync(fd, chunk);
      fsyncSync(fd);
      await sleep(paceMs);
    }
  } finally {
    closeSync(fd);
  }
  // Only the current release stays, so the folder never grows.
  renameSync(part, join(dir, "current"));
}

async function runJob(agent: { hostId: string; name: string; client: AgentClient }, job: JobAssignment) {
  const host = agent.hostId;
  journal({ t: realNow(), host, type: "start", job: job.id, deployment: job.deploymentId });
  let seq = job.lastSeq;
  const services = job.services.map((s) => s.name);
  const post = async (state: "RUNNING" | "SUCCEEDED" | "FAILED", message?: string) => {
    const events = services.map((service) => ({
      seq: ++seq,
      at: new Date(realNow()).toISOString(),
      type: "step" as const,
      service,
      state,
      ...(message ? { message } : {}),
    }));
    await call(host, job.id, () => agent.client.postEvents(job.id, { leaseId: job.leaseId, events }));
    journal({
      t: realNow(),
      host,
      type: "acked-events",
      job: job.id,
      seqs: events.map((e) => e.seq),
      ats: events.map((e) => e.at),
    });
  };
  // The lease is renewed every third of it for as long as the job is ours, as the real agent does;
  // a 409 there (the lease expired while we could not reach the control plane) stops the work.
  // It stops (its call in flight aborted) just before the completion is sent, so a renewal racing
  // our own completion is never counted as fencing.
  let fenced = false;
  const renewing = new AbortController();
  const { signal } = renewing;
  void (async () => {
    while (!signal.aborted && !fenced) {
      await sleep((job.leaseSeconds * 1000) / 3);
      if (signal.aborted) return;
      await call(host, job.id, () => agent.client.renewLease(job.id, { leaseId: job.leaseId }, { signal }), {
        signal,
      }).catch((error) => {
        if (error instanceof Fenced) fenced = true;
      });
    }
  })();
  let outcome: "succeeded" | "failed" | "abandoned" = "abandoned";
  try {
    await post("RUNNING");
    // Most jobs take a second or two; one in ten outlives its first lease and must renew.
    const long = Math.random() < 0.1;
    const chunks = long ? 12 : 3 + Math.floor(Math.random() * 6);
    const paceMs = long ? (job.leaseSeconds * 1500) / chunks : 100 + Math.random() * 150;
    let failure: string | undefined;
    try {
      await writeRelease(host, job.id, chunks, paceMs, () => fenced);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
      failure = `disk full: ${(error as Error).message}`;
    }
    if (fenced) throw new Fenced("the lease was lost while working");
    outcome = failure ? "failed" : "succeeded";
    journal({ t: realNow(), host, type: "stop", job: job.id, outcome });
    const state = failure ? "FAILED" : "SUCCEEDED";
    await post(state, failure);
    renewing.abort();
    await call(host, job.id, () =>
      agent.client.completeJob(job.id, {
        leaseId: job.leaseId,
        state,
        ...(failure ? { error: failure } : {}),
        services: services.map((service) => ({ service, state })),
      }),
    );
    journal({ t: realNow(), host, type: "acked-complete", job: job.id, state });
  } catch {
    // Fenced, or reports that could not be delivered: the work stops here.
    if (outcome === "abandoned") journal({ t: realNow(), host, type: "stop", job: job.id, outcome });
  } finally {
    renewing.abort();
  }
}

async function pollLoop(agent: { hostId: string; name: string; client: AgentClient }) {
  let backoff = 500;
  while (!draining) {
    try {
      const { job } = await agent.client.poll({ waitSeconds: 10 });
      backoff = 500;
      if (job) await runJob(agent, job);
    } catch (error) {
      if (error instanceof AgentClientError && !error.retryable && error.status !== 409) throw error;
      await sleep(backoff * (0.5 + Math.random()));
      backoff = Math.min(backoff * 2, 5000);
    }
  }
}

async function heartbeatLoop(agent: { hostId: string; client: AgentClient }) {
  await sleep(Math.random() * config.heartbeatSeconds * 1000);
  while (!draining) {
    await agent.client
      .heartbeat({
        agentVersion: "soak",
        services: [{ workflow: "soak", service: "app", kind: "compose", status: "HEALTHY" }],
      })
      .catch(() => {});
    await sleep(config.heartbeatSeconds * 1000);
  }
}

const agents = config.agents.map((a) => ({
  hostId: a.hostId,
  name: a.name,
  client: createAgentClient({
    baseUrl: a.baseUrl,
    hostId: a.hostId,
    privateKey: a.privateKeyPem,
    requestTimeoutMs: 15_000,
  }),
}));
process.send?.({ type: "ready" });
await Promise.all(agents.flatMap((agent) => [pollLoop(agent), heartbeatLoop(agent)]));
process.exit(0);
