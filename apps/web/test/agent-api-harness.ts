// Test-only: the agent API's route handlers in this process on a fresh PostgreSQL database, with
// the real protocol client per host (its fetch goes to the handlers) and the real agent pieces
// (job runner, on-disk outbox, delivery) wired to it. For fault tests that need both sides.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OutboxItem } from "@capstan/agent/delivery";
import { Delivery } from "@capstan/agent/delivery";
import { JobRunner } from "@capstan/agent/job-runner";
import { createLogger } from "@capstan/agent/log";
import { Outbox } from "@capstan/agent/outbox";
import type { Runtimes } from "@capstan/agent/runtimes/types";
import { StateStore } from "@capstan/agent/state";
import { createTestTeam, type TestHost } from "@capstan/core/deployments/test-fixtures";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { type AgentClient, createAgentClient } from "@capstan/protocol";

const BASE = "http://capstan.test";

export interface AgentApiHarness {
  db: TestDatabase;
  teamId: string;
  clientFor(host: TestHost): AgentClient;
  /** The agent's own pieces for `host`, its state and outbox in a temporary folder. */
  agentFor(host: TestHost, runtimes: Runtimes, outboxMaxBytes?: number): TestAgent;
  close(): Promise<void>;
}

interface TestAgent {
  client: AgentClient;
  outbox: Outbox<OutboxItem>;
  delivery: Delivery;
  runner: JobRunner;
}

export async function startAgentApiHarness(env: Record<string, string> = {}): Promise<AgentApiHarness> {
  const db = await createTestDatabase();
  process.env.DATABASE_URL = db.url;
  Object.assign(process.env, env);
  // Imported only now: the app's env module reads DATABASE_URL when first loaded.
  const dispatch = await (await import("./agent-dispatch")).loadAgentRoutes();
  const { stopAgentEngine } = await import("@/server/agent/engine");
  const teamId = (await createTestTeam(db.prisma)).id;
  const dirs: string[] = [];
  const fetchViaHandlers = (async (input: RequestInfo | URL, init?: RequestInit) =>
    dispatch(new Request(input, init))) as typeof fetch;
  const clientFor = (host: TestHost) =>
    createAgentClient({
      baseUrl: BASE,
      hostId: host.id,
      privateKey: host.keys.privateKeyPem,
      fetch: fetchViaHandlers,
    });
  const log = createLogger("silent");
  return {
    db,
    teamId,
    clientFor,
    agentFor(host, runtimes, outboxMaxBytes = 64 * 1024 * 1024) {
      const dir = mkdtempSync(join(tmpdir(), "capstan-web-agent-"));
      dirs.push(dir);
      const state = new StateStore(join(dir, "state"));
      state.init();
      const client = clientFor(host);
      const outbox = new Outbox<OutboxItem>(state.outboxDir, { maxBytes: outboxMaxBytes });
      const runner = new JobRunner({
        client,
        outbox,
        state,
        runtimes,
        log,
        leaseRenewMs: 60_000,
        keepReleases: 3,
        effectivePolicy: (sent) => sent,
      });
      const delivery = new Delivery(outbox, client, log, {
        onStaleLease: (jobId) => runner.abandon(jobId),
        onUnauthorized: () => {},
        onContact: () => {},
      });
      return { client, outbox, delivery, runner };
    },
    async close() {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      await stopAgentEngine();
      await db.drop();
    },
  };
}
