// An operator's order on a deployed service (a job with `action`): start, stop, restart, reload,
// undeploy, or a one-off command. The desired state is written to the service's record before a
// stop and cleared after a start, so a service stopped on purpose stays stopped, and reported as
// STOPPED, through agent restarts. An undeploy removes the record after the runtime removed the
// service, so heartbeats stop reporting it; its domains leave the ingress first, so its names
// stop being served (not answered with a 502 by a route to a removed container).
import { type JobAssignment, maskSecrets } from "@capstan/protocol";
import type { Ingress } from "./ingress/ingress";
import type { DeployOutcome } from "./runtimes/deploy-release";
import type { DeployLog, Runtime, ServiceRef } from "./runtimes/types";
import type { StateStore } from "./state";

export interface ServiceOrder {
  workflow: string;
  service: string;
  action: NonNullable<JobAssignment["action"]>;
  command?: JobAssignment["command"];
  removeVolumes?: boolean;
  /** The service's secret values (only for a run): masked in the command's output. */
  secrets?: Record<string, string>;
}

export async function runServiceAction(
  runtime: Runtime | undefined,
  state: StateStore,
  order: ServiceOrder,
  signal: AbortSignal,
  deadline: number,
  rawLog: DeployLog,
  ingress?: Pick<Ingress, "unrouteService">,
): Promise<DeployOutcome> {
  const { workflow, service, action } = order;
  const known = state.getService(workflow, service);
  if (!runtime || !known || known.kind !== runtime.kind)
    return { ok: false, rolledBack: false, message: `${workflow}/${service} is not deployed on this host` };
  const secrets = order.secrets ?? {};
  const log: DeployLog = (level, message) => rawLog(level, maskSecrets(message, secrets));
  const ref = { workflow, service };
  const label = runtime.label?.(ref) ?? `${workflow}/${service}`;
  const record = (stopped: boolean) =>
    state.saveService({ ...known, stopped: stopped || undefined, updatedAt: new Date().toISOString() });
  try {
    log("info", `${action} ${label}`);
    switch (action) {
      case "stop":
        // Recorded first: a crash mid-stop must not leave a heartbeat calling it a failure.
        record(true);
        await runtime.stop(ref, signal);
        break;
      case "undeploy": {
        const data = order.removeVolumes ? "delete" : "keep";
        // A broken ingress must not keep a service deployed: the failure is logged and the
        // stale route answers 502 until the next change to the ingress drops it.
        await ingress
          ?.unrouteService(ref, signal)
          .catch((error: Error) => log("warn", `could not remove the routes of ${label}: ${error.message}`));
        await runtime.remove(ref, signal, { data });
        state.removeService(workflow, service);
        const kept = order.removeVolumes ? "named volumes and data deleted" : "named volumes and data kept";
        return { ok: true, rolledBack: false, message: `undeploy: ${label} removed; ${kept}` };
      }
      case "run":
        return await runCommand(runtime, ref, order, { log, signal, deadline });
      case "reload":
        if (!runtime.reload) throw new Error(`${runtime.kind} services have no reload; restart it instead`);
        await runtime.reload(ref, signal);
        break;
      default:
        await runtime[action](ref, signal);
        record(false);
    }
    const probe = await runtime.probe(ref, known.healthChecks, signal).catch((error: Error) => ({
      status: "UNKNOWN",
      detail: error.message,
    }));
    return { ok: true, rolledBack: false, message: `${action}: done; now ${probe.status} (${probe.detail})` };
  } catch (error) {
    const message = maskSecrets(`${action} ${label} failed: ${(error as Error).message}`, secrets);
    log("error", message);
    return { ok: false, rolledBack: false, message: message.slice(0, 2000) };
  }
}

/** The step succeeds when the command exits 0; its exit code is in the step's message either way. */
async function runCommand(
  runtime: Runtime,
  ref: ServiceRef,
  order: ServiceOrder,
  ctx: { log: DeployLog; signal: AbortSignal; deadline: number },
): Promise<DeployOutcome> {
  if (!order.command) throw new Error("the job carries no command");
  if (!runtime.runCommand) throw new Error(`${runtime.kind} services cannot run commands`);
  const result = await runtime.runCommand(ref, order.command, ctx);
  const program = order.command.argv[0];
  if (result.stopped === "timeout")
    return {
      ok: false,
      rolledBack: false,
      message: `one-off command ${program} timed out after ${order.command.timeoutSeconds}s and was stopped`,
    };
  if (result.stopped)
    return { ok: false, rolledBack: false, message: `one-off command ${program} was cancelled` };
  ctx.log(result.code === 0 ? "info" : "warn", `one-off command ${program} exited with code ${result.code}`);
  return { ok: result.code === 0, rolledBack: false, message: `exit code ${result.code}` };
}
