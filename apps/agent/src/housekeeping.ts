// The agent's housekeeping: resources for the heartbeat (every few minutes), and image prunes,
// on its own schedule (default daily) or when a signed order arrives in a heartbeat answer. A
// prune runs in the background; its report rides on heartbeats until one is accepted. Handled
// order ids and the last scheduled run are kept in the state directory, so a restart neither
// repeats an order nor prunes again right away.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { HostPruneOrder, HostPruneReport, HostResources } from "@capstan/protocol";
import type { Logger } from "./log";
import type { ResourceReporter } from "./resources";
import { writeFileAtomic } from "./state";

interface Saved {
  lastScheduledAt?: string;
  handledOrders?: string[];
  pending?: HostPruneReport;
}

export interface HousekeeperDeps {
  stateDir: string;
  log: Logger;
  resources: ResourceReporter;
  prune(orderId?: string): Promise<HostPruneReport>;
  /** Checks the control plane's signature; false refuses the order (and logs why). */
  verify(order: HostPruneOrder): boolean;
  /** 0 turns the scheduled prune off. */
  pruneEveryMs: number;
  now?: () => number;
}

export class Housekeeper {
  private saved: Saved;
  private running: Promise<void> | undefined;
  private readonly file: string;

  constructor(private readonly deps: HousekeeperDeps) {
    this.file = join(deps.stateDir, "housekeeping.json");
    try {
      this.saved = JSON.parse(readFileSync(this.file, "utf8")) as Saved;
    } catch {
      this.saved = {};
    }
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  private save(): void {
    writeFileAtomic(this.file, JSON.stringify(this.saved), 0o600);
  }

  /** What the next heartbeat carries; also starts a scheduled prune when one is due. */
  async beforeBeat(): Promise<{ resources?: HostResources; prune?: HostPruneReport }> {
    const every = this.deps.pruneEveryMs;
    const last = this.saved.lastScheduledAt ? Date.parse(this.saved.lastScheduledAt) : 0;
    if (every > 0 && this.now() - last >= every) {
      if (!last) {
        // First start: wait one period instead of pruning during the install.
        this.saved.lastScheduledAt = new Date(this.now()).toISOString();
        this.save();
      } else this.start(undefined);
    }
    const resources = await this.deps.resources.due(this.now()).catch(() => undefined);
    return {
      ...(resources ? { resources } : {}),
      ...(this.saved.pending ? { prune: this.saved.pending } : {}),
    };
  }

  /** The heartbeat was accepted: its report is delivered; a new order starts a prune. */
  afterBeat(sent: HostPruneReport | undefined, order: HostPruneOrder | undefined): void {
    if (sent && this.saved.pending === sent) {
      this.saved.pending = undefined;
      this.save();
    }
    if (!order || this.saved.handledOrders?.includes(order.id) || this.running) return;
    if (!this.deps.verify(order)) return;
    this.start(order.id);
  }

  /** The heartbeat failed: resources are collected again next time. */
  beatFailed(): void {
    this.deps.resources.retry();
  }

  /** Resolves when the prune in progress (if any) is done; for tests and a clean stop. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private start(orderId: string | undefined): void {
    if (this.running) return;
    if (orderId) this.saved.handledOrders = [...(this.saved.handledOrders ?? []), orderId].slice(-20);
    else this.saved.lastScheduledAt = new Date(this.now()).toISOString();
    this.save();
    this.running = this.deps
      .prune(orderId)
      .then((report) => {
        this.deps.log.info(
          { removed: report.removed.length, freedBytes: report.freedBytes, orderId, err: report.error },
          "pruned unreferenced images",
        );
        this.saved.pending = report;
        this.save();
      })
      .finally(() => {
        this.running = undefined;
      });
  }
}
