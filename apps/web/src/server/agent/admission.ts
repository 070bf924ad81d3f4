// Admission control for the agent API on the lean agent server (agent-server/agent-server.ts): at
// most `limit` agent requests are worked on at once, and the next one is answered 503 with a
// jittered Retry-After before its signature is checked or the database is touched. A long-poll
// that is parked waiting for a job or a log order gives its place back (`parkedWaiting`), so ten
// thousand waiting agents cost memory, not places.
// Why: with 10,000 simulated agents reconnecting at once (docs/dev/benchmarks.md) both replicas
// accepted thousands of requests into the database pool's queue, finished them after their
// clients had given up, and never caught up: every later request waited behind dead ones and
// timed out too (congestion collapse). Refusing at once is cheap, and the requests let in stay
// fast; the fleet backs off and comes in as fast as the server can serve it.
import "server-only";
import { AsyncLocalStorage } from "node:async_hooks";

const heldPlace = new AsyncLocalStorage<() => void>();

export class Admission {
  private active = 0;

  constructor(readonly limit: number) {}

  /** Runs `work` holding a place, or answers false at once (running nothing) when all are taken. */
  async run(work: () => Promise<void>): Promise<boolean> {
    if (this.active >= this.limit) return false;
    this.active++;
    let held = true;
    const release = () => {
      if (held) {
        held = false;
        this.active--;
      }
    };
    try {
      await heldPlace.run(release, work);
    } finally {
      release();
    }
    return true;
  }
}

/**
 * A long-poll starts waiting: it gives back its place (once; waking up later takes none). Outside
 * the lean agent server (the agent API served by Next in development) this does nothing.
 */
export function parkedWaiting(): void {
  heldPlace.getStore()?.();
}
