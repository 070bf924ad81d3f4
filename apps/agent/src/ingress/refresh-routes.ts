// Keeps Compose routes pointed at the containers that run: Docker may restart a container (its
// restart policy, a daemon restart) and give it a new address on the ingress network, which no
// deploy would notice. Runs at the heartbeat's pace, beside it; skipped while a job runs (the
// deploy routes what it starts) and cheap when nothing changed (no reload).
import { pause } from "../abort";
import type { Logger } from "../log";
import type { Ingress } from "./ingress";

export interface RefreshRoutesDeps {
  ingress: Pick<Ingress, "refreshUpstreams">;
  intervalMs: number;
  busy: () => boolean;
  log: Logger;
}

export async function refreshRoutesLoop(deps: RefreshRoutesDeps, signal: AbortSignal): Promise<void> {
  while (await pause(deps.intervalMs, signal)) {
    if (deps.busy()) continue;
    try {
      const changed = await deps.ingress.refreshUpstreams(signal);
      if (changed.length > 0)
        deps.log.info({ services: changed }, "ingress routes follow new container addresses");
    } catch (error) {
      if (!signal.aborted)
        deps.log.warn({ err: (error as Error).message }, "could not refresh the ingress routes");
    }
  }
}
