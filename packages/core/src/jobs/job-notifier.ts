// Wakes waiting polls when a job is created for their host. One LISTEN connection per process
// (a dedicated pg Client, outside the Prisma pool, reconnecting with backoff) is fanned out in
// memory to the waiting polls; a periodic sweep is the backstop for lost notifications, a
// database without cross-connection LISTEN (the embedded one) or a broken listener. A waiting
// poll holds no connection and no transaction: only an entry in a Map. One live poll per host:
// a new poll from a host replaces the one it left behind (an agent that reconnected after a
// network blip), so a host cannot pile up waiting requests.
import pg from "pg";
import { JOBS_CHANNEL } from "../lifecycle/notify-hosts";

export type WakeReason = "notified" | "timeout" | "aborted" | "replaced";

export interface JobNotifierOptions {
  /** The NOTIFY channel (default: jobs); live logs run a second notifier on their own channel. */
  channel?: string;
  /** Where to LISTEN; without it only the sweep wakes polls. */
  connectionString?: string;
  /** Returns which of these hosts have QUEUED jobs. */
  sweep?: (hostIds: string[]) => Promise<string[]>;
  sweepIntervalMs?: number;
  log?: (level: "info" | "warn", message: string) => void;
}

interface Waiter {
  hostId: string;
  /** Set when a wake-up arrived while nobody was waiting, so it is not lost. */
  pending: boolean;
  /** A newer poll from the same host took over. */
  replaced: boolean;
  wake: ((reason: WakeReason) => void) | null;
}

export interface JobSubscription {
  /** Resolves on a notification for the host (or one that arrived since the last call). */
  next(timeoutMs: number, signal?: AbortSignal): Promise<WakeReason>;
  close(): void;
}

export class JobNotifier {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private client: pg.Client | null = null;
  private stopped = true;
  private reconnectDelayMs = 500;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping = false;
  /** True while the LISTEN connection is up. */
  listening = false;

  constructor(private readonly options: JobNotifierOptions = {}) {}

  private get channel(): string {
    return this.options.channel ?? JOBS_CHANNEL;
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    if (this.options.sweep) {
      this.sweepTimer = setInterval(() => void this.runSweep(), this.options.sweepIntervalMs ?? 3000);
      this.sweepTimer.unref();
    }
    if (this.options.connectionString) await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.sweepTimer = this.reconnectTimer = null;
    const client = this.client;
    this.client = null;
    this.listening = false;
    await client?.end().catch(() => {});
  }

  /** Number of polls waiting right now (for metrics and tests). */
  get waiting(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  subscribe(hostId: string): JobSubscription {
    const waiter: Waiter = { hostId, pending: false, replaced: false, wake: null };
    let set = this.waiters.get(hostId);
    if (!set) {
      set = new Set();
      this.waiters.set(hostId, set);
    }
    for (const older of set) {
      older.replaced = true;
      older.wake?.("replaced");
    }
    set.add(waiter);
    return {
      next: (timeoutMs, signal) => {
        if (waiter.replaced) return Promise.resolve("replaced");
        if (waiter.pending) {
          waiter.pending = false;
          return Promise.resolve("notified");
        }
        if (signal?.aborted) return Promise.resolve("aborted");
        return new Promise<WakeReason>((resolve) => {
          const finish = (reason: WakeReason) => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", onAbort);
            waiter.wake = null;
            resolve(reason);
          };
          const onAbort = () => finish("aborted");
          const timer = setTimeout(() => finish("timeout"), Math.max(0, timeoutMs));
          signal?.addEventListener("abort", onAbort, { once: true });
          waiter.wake = finish;
        });
      },
      close: () => {
        waiter.wake?.("aborted");
        const current = this.waiters.get(hostId);
        current?.delete(waiter);
        if (current?.size === 0) this.waiters.delete(hostId);
      },
    };
  }

  /** Wakes this process's polls for these hosts (what a NOTIFY does). */
  wakeHosts(hostIds: Iterable<string>): void {
    for (const hostId of hostIds) {
      const set = this.waiters.get(hostId);
      if (!set) continue;
      for (const waiter of set) {
        if (waiter.wake) waiter.wake("notified");
        else waiter.pending = true;
      }
    }
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      application_name: "capstan-job-listener",
    });
    client.on("notification", (message) => {
      if (message.channel === this.channel && message.payload) this.wakeHosts(message.payload.split(","));
    });
    client.on("error", (error) => this.lost(client, error));
    client.on("end", () => this.lost(client, new Error("connection ended")));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (error) {
      this.lost(client, error as Error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.listening = true;
    this.reconnectDelayMs = 500;
    // Jobs created while we were not listening: the sweep finds them now rather than later.
    void this.runSweep();
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.client !== null && this.client !== client) return;
    this.client = null;
    this.listening = false;
    client.removeAllListeners("end");
    client.end().catch(() => {});
    if (this.stopped || this.reconnectTimer) return;
    this.options.log?.("warn", `job listener lost its connection (${error.message}); reconnecting`);
    const delay = this.reconnectDelayMs * (0.5 + Math.random());
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, 30_000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.stopped) void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private async runSweep(): Promise<void> {
    if (!this.options.sweep || this.sweeping || this.waiters.size === 0) return;
    this.sweeping = true;
    try {
      this.wakeHosts(await this.options.sweep([...this.waiters.keys()]));
    } catch (error) {
      this.options.log?.("warn", `job sweep failed: ${(error as Error).message}`);
    } finally {
      this.sweeping = false;
    }
  }
}
