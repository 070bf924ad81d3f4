// One process of bench:dispatch's simulated agents (started by dispatch.ts, which spreads the
// agents over several of these: one event loop and one file table could not drive 10,000 agents,
// i.e. 20,000 sockets and timers, and ran out of open files). Each agent speaks the real protocol:
// a 25 s long-poll that completes whatever job it gets, and a heartbeat every N seconds. Times are
// taken here, on the wall clock shared with the parent (performance.timeOrigin + now), and sent to
// the parent in batches; the parent computes the percentiles.
import { AgentClientError, createAgentClient } from "@capstan/protocol";
import { realNow } from "./soak/journal";
import { raiseOpenFilesLimit } from "./stats";

export interface AgentsStart {
  type: "start";
  heartbeatSeconds: number;
  /** `index` is the agent's number in the parent, which reports refer to. */
  agents: { index: number; hostId: string; privateKeyPem: string; baseUrl: string }[];
}
export type ToAgents = AgentsStart | { type: "stop" };

/** What happened since the last report. */
export interface AgentsReport {
  type: "report";
  /** [agent index, whether it now has a long-poll open]; the last change per agent. */
  waiting: [number, boolean][];
  /** [job id, when (ms, wall clock) the poll answered with it]. */
  answered: [string, number][];
  /** [when (ms, wall clock) the heartbeat was answered, how long it took (ms)]. */
  heartbeats: [number, number][];
  errors: { poll: number; heartbeat: number; complete: number };
  errorKinds: [string, number][];
}
/** `started`: every agent's loops are running (the parent warms up from then on). */
export type FromAgents = AgentsReport | { type: "started" } | { type: "stopped" };

const REPORT_EVERY_MS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function emptyReport(): AgentsReport {
  return {
    type: "report",
    waiting: [],
    answered: [],
    heartbeats: [],
    errors: { poll: 0, heartbeat: 0, complete: 0 },
    errorKinds: [],
  };
}

async function run(start: AgentsStart) {
  // Two sockets per agent (its poll and its heartbeat), plus this process's own.
  raiseOpenFilesLimit(2 * start.agents.length + 256, `${start.agents.length} simulated agents`);
  let running = true;
  let report = emptyReport();
  const waiting = new Map<number, boolean>();
  const kinds = new Map<string, number>();
  const send = (message: FromAgents) => new Promise((resolve) => process.send!(message, resolve));
  const flush = async () => {
    report.waiting = [...waiting];
    report.errorKinds = [...kinds];
    waiting.clear();
    kinds.clear();
    const sent = report;
    report = emptyReport();
    await send(sent);
  };
  const flusher = setInterval(flush, REPORT_EVERY_MS);
  process.on("message", (message: ToAgents) => {
    if (message.type === "stop") running = false;
  });
  const noteError = (where: "poll" | "heartbeat", error: unknown) => {
    report.errors[where]++;
    const cause = (error as Error).cause as { code?: string; cause?: { code?: string } } | undefined;
    const code = cause?.code ?? cause?.cause?.code ?? "";
    const key = `${where}: ${(error as Error).name} ${(error as Error).message} ${code}`.slice(0, 160);
    kinds.set(key, (kinds.get(key) ?? 0) + 1);
  };

  const loops = start.agents.flatMap((agent) => {
    const client = createAgentClient({
      baseUrl: agent.baseUrl,
      hostId: agent.hostId,
      privateKey: agent.privateKeyPem,
    });
    const pollLoop = async () => {
      let backoffMs = 500;
      while (running) {
        try {
          waiting.set(agent.index, true);
          const { job } = await client.poll({ waitSeconds: 25 });
          waiting.set(agent.index, false);
          backoffMs = 500;
          if (!job) continue;
          report.answered.push([job.id, realNow()]);
          await client
            .completeJob(job.id, {
              leaseId: job.leaseId,
              state: "SUCCEEDED",
              services: [{ service: "app", state: "SUCCEEDED" }],
            })
            .catch(() => report.errors.complete++);
        } catch (error) {
          waiting.set(agent.index, false);
          noteError("poll", error);
          if (!(error instanceof AgentClientError) || !error.retryable) throw error;
          // What the real agent does: jittered exponential backoff, honouring Retry-After.
          await sleep((error.retryAfterMs ?? 0) + backoffMs * (0.5 + Math.random()));
          backoffMs = Math.min(backoffMs * 2, 10_000);
        }
      }
    };
    const heartbeatLoop = async () => {
      await sleep(Math.random() * start.heartbeatSeconds * 1000);
      while (running) {
        const started = realNow();
        try {
          await client.heartbeat({
            agentVersion: "bench",
            services: [{ workflow: "bench", service: "app", kind: "compose", status: "HEALTHY" }],
          });
          const answered = realNow();
          report.heartbeats.push([answered, answered - started]);
        } catch (error) {
          noteError("heartbeat", error);
        }
        await sleep(Math.max(0, start.heartbeatSeconds * 1000 - (realNow() - started)));
      }
    };
    return [pollLoop(), heartbeatLoop()];
  });
  await send({ type: "started" });
  const results = await Promise.allSettled(loops);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) console.error(`[bench agents] a poll loop stopped: ${(failed.reason as Error).message}`);
  clearInterval(flusher);
  await flush();
  await send({ type: "stopped" });
}

process.once("message", (message: ToAgents) => {
  if (message.type !== "start") throw new Error(`expected start, got ${message.type}`);
  run(message).then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
});
// The parent is gone (killed, or its hard stop): nobody reads our numbers any more.
process.on("disconnect", () => process.exit(0));
