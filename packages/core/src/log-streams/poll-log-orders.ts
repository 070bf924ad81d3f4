// The orders long-poll: answer at once when there is something to open or stop, otherwise wait
// (holding no connection) until a stream is opened for this host or the wait ends. Subscribed
// before the first claim, so a stream opened in between is not missed.
import type { Db } from "../db";
import type { JobNotifier } from "../jobs/job-notifier";
import { claimLogOrders, type LogOrders } from "./claim-log-orders";
import { orderKey } from "./notify-log-streams";

export interface PollLogOrdersArgs {
  hostId: string;
  running: string[];
  waitMs: number;
  notifier: JobNotifier;
  signal?: AbortSignal;
  /** Called when the poll starts waiting (the agent server stops counting it as work in progress). */
  onWait?: () => void;
}

export async function pollLogOrders(db: Db, args: PollLogOrdersArgs): Promise<LogOrders> {
  const deadline = Date.now() + args.waitMs;
  const subscription = args.notifier.subscribe(orderKey(args.hostId));
  try {
    for (;;) {
      const orders = await claimLogOrders(db, args);
      if (orders.open.length || orders.stop.length) return orders;
      const remaining = deadline - Date.now();
      if (remaining <= 0 || args.signal?.aborted) return orders;
      args.onWait?.();
      if ((await subscription.next(remaining, args.signal)) !== "notified") return orders;
    }
  } finally {
    subscription.close();
  }
}
