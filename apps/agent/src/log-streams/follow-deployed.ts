import type { Runtimes } from "../runtimes/types";
import type { StateStore } from "../state";
import type { FollowOrder } from "./log-streams-loop";

/**
 * Follows only what this agent deployed: the order's workflow and service must be in the agent's
 * own records with the same kind, and the runtime of that kind follows it. Anything else ends the
 * stream at once with the reason, and nothing runs.
 */
export function followDeployed(state: StateStore, runtimes: Runtimes): FollowOrder {
  return async (order, sink, signal) => {
    const known = state.getService(order.workflow, order.service);
    const runtime = runtimes[order.kind];
    if (!known || known.kind !== order.kind || !runtime?.followLogs)
      return `${order.workflow}/${order.service} is not deployed on this host`;
    return runtime.followLogs(
      { workflow: order.workflow, service: order.service },
      order.options,
      sink,
      signal,
    );
  };
}
