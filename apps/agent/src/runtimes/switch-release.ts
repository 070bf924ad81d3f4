// Zero-downtime deploys for routed services: the new release starts beside the one that serves,
// must pass its health gate there, then the route switches to it (Caddy swaps its config without
// dropping connections), requests in flight to the old copy get a moment to finish, and the old
// copy stops. A failed gate leaves the route and the old release alone and removes the new copy:
// the deploy fails with nothing changed for clients. A rollback is a deploy of the earlier
// release and takes the same path.
import { pause } from "../abort";
import { describeError } from "../disk-errors";
import { tail } from "../exec";
import { waitUntilHealthy } from "../health";
import { type DeployOutcome, discardFailed, logRecentOutput, type ReleasePlan } from "./deploy-release";
import type { BesideRelease, Runtime, StepContext } from "./types";

/** How long requests already sent to the old copy get to finish before it stops. */
export const DRAIN_MS = 2000;

/**
 * Deploys `plan` beside the running release when the service is routed and the runtime can run
 * two copies; null when it must restart in place (said in the deploy log when it matters).
 */
export async function switchBeside(
  runtime: Runtime,
  plan: ReleasePlan,
  ctx: StepContext,
): Promise<DeployOutcome | null> {
  const { ref, releaseId } = plan.request;
  if (!plan.switchRoute || !runtime.startBeside || !runtime.besideBlocker) return null;
  const running = await runtime.currentRelease(ref, ctx.signal).catch(() => null);
  // Nothing serves yet (a first deploy): nothing to keep up while it starts.
  if (!running) return null;
  const name = runtime.label?.(ref) ?? `${ref.workflow}/${ref.service}`;
  const blocker = await runtime.besideBlocker(ref, releaseId);
  if (blocker) {
    ctx.log("warn", `${runtime.kind}: ${name} restarts in place, without a zero-downtime switch: ${blocker}`);
    return null;
  }
  const failed = (message: string): DeployOutcome => ({
    ok: false,
    message: `${message}; the route stays on release ${running}`.slice(0, 4000),
    activeReleaseId: running,
    rolledBack: false,
  });
  ctx.log("info", `${runtime.kind}: starting release ${releaseId} beside release ${running}`);
  let beside: BesideRelease;
  try {
    beside = await runtime.startBeside(ref, releaseId, ctx, plan.request.spec.healthChecks);
  } catch (error) {
    await discardFailed(runtime, plan, ctx);
    return failed(describeError(error, plan.stateDir).slice(0, 2000));
  }
  const result = await waitUntilHealthy(
    async () => {
      const probe = await beside.probe(plan.request.spec.healthChecks, ctx.signal);
      return { ok: probe.status === "HEALTHY", detail: probe.detail };
    },
    ctx.deadline,
    ctx.signal,
    1000,
    (r) => ctx.log("info", `${runtime.kind}: waiting for health of ${beside.label}: ${r.detail}`),
  );
  if (!result.ok) {
    ctx.log("error", `${runtime.kind}: ${beside.label} release ${releaseId} failed its health gate`);
    await logRecentOutput(runtime.kind, (n, s) => beside.recentLogs(n, s), ctx);
    await abandon(runtime, beside, ctx);
    await discardFailed(runtime, plan, ctx);
    return failed(result.detail);
  }
  ctx.log("info", `${runtime.kind}: ${beside.label} is healthy (${result.detail})`);
  try {
    await beside.promote(ctx);
    await plan.switchRoute(ctx.signal);
  } catch (error) {
    await demote(runtime, beside, running, ctx);
    const message = `the route could not switch to release ${releaseId}: ${(error as Error).message}`;
    ctx.log("error", `${runtime.kind}: ${message}`);
    await abandon(runtime, beside, ctx);
    await discardFailed(runtime, plan, ctx);
    return failed(message);
  }
  ctx.log("info", `${runtime.kind}: route switched to release ${releaseId}; draining release ${running}`);
  await pause(DRAIN_MS, ctx.signal);
  try {
    // No deadline of its own: the old copy's stop grace period is Compose's to honour.
    await beside.retireOld(ctx);
    ctx.log("info", `${runtime.kind}: stopped release ${running}`);
  } catch (error) {
    ctx.log("warn", `${runtime.kind}: could not stop release ${running}: ${tail((error as Error).message)}`);
  }
  try {
    await runtime.prune(ref, plan.keepReleases, [releaseId, plan.previousReleaseId, running]);
  } catch (error) {
    ctx.log("warn", `${runtime.kind}: could not prune old releases of ${name}: ${(error as Error).message}`);
  }
  return { ok: true, message: result.detail, activeReleaseId: releaseId, rolledBack: false, routed: true };
}

async function abandon(runtime: Runtime, beside: BesideRelease, ctx: StepContext): Promise<void> {
  try {
    await beside.abandon();
    ctx.log("info", `${runtime.kind}: removed ${beside.label}`);
  } catch (error) {
    ctx.log("warn", `${runtime.kind}: could not remove ${beside.label}: ${tail((error as Error).message)}`);
  }
}

async function demote(runtime: Runtime, beside: BesideRelease, running: string, ctx: StepContext) {
  try {
    await beside.demote(ctx);
  } catch (error) {
    ctx.log(
      "warn",
      `${runtime.kind}: could not hand the service back to release ${running}: ${tail((error as Error).message)}`,
    );
  }
}
