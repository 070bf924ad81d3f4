// Start, stop or restart a deployed service on an operator's order (a job with `action`). The
// desired state is written to the service's record before a stop and cleared after a start, so a
// service stopped on purpose stays stopped, and reported as STOPPED, through agent restarts.
import type { ServiceAction } from "@capstan/protocol";
import type { DeployOutcome } from "./runtimes/deploy-release";
import type { DeployLog, Runtime } from "./runtimes/types";
import type { StateStore } from "./state";

export async function runServiceAction(
  runtime: Runtime | undefined,
  state: StateStore,
  workflow: string,
  service: string,
  action: ServiceAction,
  signal: AbortSignal,
  log: DeployLog,
): Promise<DeployOutcome> {
  const known = state.getService(workflow, service);
  if (!runtime || !known || known.kind !== runtime.kind)
    return { ok: false, rolledBack: false, message: `${workflow}/${service} is not deployed on this host` };
  const ref = { workflow, service };
  const label = runtime.label?.(ref) ?? `${workflow}/${service}`;
  const record = (stopped: boolean) =>
    state.saveService({ ...known, stopped: stopped || undefined, updatedAt: new Date().toISOString() });
  try {
    log("info", `${action} ${label}`);
    if (action === "stop") {
      // Recorded first: a crash mid-stop must not leave a heartbeat calling it a failure.
      record(true);
      await runtime.stop(ref, signal);
    } else {
      await runtime[action](ref, signal);
      record(false);
    }
    const probe = await runtime.probe(ref, known.healthChecks, signal).catch((error: Error) => ({
      status: "UNKNOWN",
      detail: error.message,
    }));
    return { ok: true, rolledBack: false, message: `${action}: done; now ${probe.status} (${probe.detail})` };
  } catch (error) {
    const message = `${action} ${label} failed: ${(error as Error).message}`;
    log("error", message);
    return { ok: false, rolledBack: false, message: message.slice(0, 2000) };
  }
}
