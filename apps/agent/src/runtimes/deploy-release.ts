// The one deploy template every runtime goes through: stage (refusals change nothing), activate,
// wait until healthy, and on failure switch back to the previous release and wait again.

import { type JobRegistry, maskSecrets } from "@capstan/protocol";
import { describeError } from "../disk-errors";
import { tail } from "../exec";
import { type CheckResult, waitUntilHealthy } from "../health";
import { switchBeside } from "./switch-release";
import type { DeployLog, Runtime, StageRequest, StepContext } from "./types";

/** How long the previous release gets to become healthy again after a rollback. */
const ROLLBACK_HEALTH_MS = 120_000;
/** Output lines of a failing service quoted in the deploy log. */
const FAILURE_LOG_LINES = 30;

export interface DeployOutcome {
  ok: boolean;
  message: string;
  /** The release that is active now (the new one, the previous one after rollback, or none). */
  activeReleaseId?: string;
  rolledBack: boolean;
  /** The deploy switched the service's route itself (switch-release.ts): the caller must not again. */
  routed?: boolean;
}

export interface ReleasePlan {
  request: StageRequest;
  /** The release to switch back to when the new one fails its health gate. */
  previousReleaseId?: string;
  /**
   * The agent knows no release of this service on this host (not even the same release id
   * deployed before): a failure then removes what this deploy wrote (units, project folders).
   */
  firstRelease?: boolean;
  autoRollback: boolean;
  /** Releases kept on the host after a healthy deploy (plus the new and the previous one). */
  keepReleases: number;
  /** The agent's state directory, named when the disk under it is full. */
  stateDir: string;
  /** The job's private registries (with passwords); logged in to for this deploy only. */
  registries?: readonly JobRegistry[];
  /**
   * Points the service's routes at what the runtime now calls the service. Given for a routed
   * service: the new release then starts beside the old one and the route switches to it once
   * it is healthy (switch-release.ts), where the runtime can run two copies.
   */
  switchRoute?: (signal: AbortSignal) => Promise<void>;
}

export async function deployRelease(
  runtime: Runtime,
  plan: ReleasePlan,
  stepCtx: StepContext,
): Promise<DeployOutcome> {
  // Everything this deploy logs or reports passes the mask: command output, the service's own
  // log lines and error messages can all quote a secret value.
  const { secrets } = plan.request;
  const log: DeployLog = (level, message) => stepCtx.log(level, maskSecrets(message, secrets));
  const ctx = { ...stepCtx, log };
  const outcome = await deployWithRegistries(runtime, plan, ctx);
  return { ...outcome, message: maskSecrets(outcome.message, secrets) };
}

async function deployWithRegistries(
  runtime: Runtime,
  plan: ReleasePlan,
  ctx: StepContext,
): Promise<DeployOutcome> {
  // Asked before anything is written: a service running although the agent's state lost it is
  // not a first release, and removing it would take down what runs.
  const first =
    plan.firstRelease === true &&
    (await runtime.currentRelease(plan.request.ref, ctx.signal).catch(() => "unknown")) === null;
  const outcome = await deployWithLogins(runtime, plan, ctx);
  if (first && !outcome.ok && !outcome.activeReleaseId) await removeFailedFirst(runtime, plan, ctx);
  return outcome;
}

/** Nothing ran before this release: what it wrote goes, so a failed first deploy leaves no trace. */
async function removeFailedFirst(runtime: Runtime, plan: ReleasePlan, ctx: StepContext): Promise<void> {
  const { ref, releaseId } = plan.request;
  const name = runtime.label?.(ref) ?? `${ref.workflow}/${ref.service}`;
  try {
    // No signal: a cancelled deploy is cleaned up too; remove has its own timeouts.
    await runtime.remove(ref);
    ctx.log("info", `${runtime.kind}: removed ${name}: release ${releaseId} was its first and failed`);
  } catch (error) {
    ctx.log(
      "warn",
      `${runtime.kind}: could not remove the failed first release of ${name}: ${tail((error as Error).message)}`,
    );
  }
}

async function deployWithLogins(
  runtime: Runtime,
  plan: ReleasePlan,
  ctx: StepContext,
): Promise<DeployOutcome> {
  const registries = plan.registries ?? [];
  if (!registries.length || !runtime.loginToRegistries) return deployIn(runtime, plan, ctx);
  let session: Awaited<ReturnType<NonNullable<Runtime["loginToRegistries"]>>>;
  try {
    session = await runtime.loginToRegistries(registries, ctx);
  } catch (error) {
    // The step's message carries an error that ends the step; the log does not repeat it.
    return { ok: false, message: (error as Error).message.slice(0, 2000), rolledBack: false };
  }
  try {
    return await deployIn(runtime, plan, { ...ctx, dockerConfig: session.dockerConfig });
  } finally {
    await session.dispose();
  }
}

async function deployIn(runtime: Runtime, plan: ReleasePlan, ctx: StepContext): Promise<DeployOutcome> {
  const { ref, releaseId, spec } = plan.request;
  const { log, signal } = ctx;
  const kind = runtime.kind;
  const name = runtime.label?.(ref) ?? `${ref.workflow}/${ref.service}`;
  const previous = plan.previousReleaseId;
  const gate = (deadline: number, onProgress?: (r: CheckResult) => void) =>
    waitUntilHealthy(
      async () => {
        const probe = await runtime.probe(ref, spec.healthChecks, signal);
        return { ok: probe.status === "HEALTHY", detail: probe.detail };
      },
      deadline,
      signal,
      1000,
      onProgress,
    );

  try {
    await runtime.stage(plan.request, ctx);
  } catch (error) {
    // Refusals (bad sha256, a spec the host policy forbids, injection attempts) land here,
    // before anything on the host changed.
    return { ok: false, message: describeError(error, plan.stateDir).slice(0, 2000), rolledBack: false };
  }
  if (spec.release) {
    // Before activation: a failed release command leaves what runs now untouched.
    try {
      if (!runtime.runRelease) throw new Error(`${kind} services cannot run a release command on this agent`);
      await runtime.runRelease(plan.request, ctx);
    } catch (error) {
      const message = (error as Error).message;
      const kept = previous ? `; release ${previous} keeps running` : "";
      return { ok: false, message: `${message}${kept}`.slice(0, 4000), rolledBack: false };
    }
  }

  const switched = await switchBeside(runtime, plan, ctx);
  if (switched) return switched;

  let failure: string;
  try {
    await runtime.activate(ref, releaseId, ctx, spec.healthChecks);
    const result = await gate(ctx.deadline, (r) => log("info", `${kind}: waiting for health: ${r.detail}`));
    if (result.ok) {
      log("info", `${kind}: ${name} is healthy (${result.detail})`);
      try {
        await runtime.prune(ref, plan.keepReleases, [releaseId, previous]);
      } catch (error) {
        log("warn", `${kind}: could not prune old releases of ${name}: ${(error as Error).message}`);
      }
      return { ok: true, message: result.detail, activeReleaseId: releaseId, rolledBack: false };
    }
    failure = result.detail;
  } catch (error) {
    // The head names the full command; its output is in the log already.
    failure = describeError(error, plan.stateDir).slice(0, 2000);
  }
  log("error", `${kind}: ${name} release ${releaseId} failed`);
  if (runtime.recentLogs) await logRecentOutput(runtime.kind, (n, s) => runtime.recentLogs!(ref, n, s), ctx);
  if (
    !plan.autoRollback ||
    !previous ||
    previous === releaseId ||
    !(await runtime.hasRelease(ref, previous))
  ) {
    return { ok: false, message: failure, rolledBack: false };
  }
  log("warn", `${kind}: rolling back ${name} to release ${previous}`);
  try {
    // The step's deadline has passed by now: the rollback gets its own.
    await runtime.activate(
      ref,
      previous,
      { ...ctx, deadline: Date.now() + ROLLBACK_HEALTH_MS },
      spec.healthChecks,
    );
    const back = await gate(Date.now() + ROLLBACK_HEALTH_MS);
    log(back.ok ? "info" : "error", `${kind}: previous release ${previous}: ${back.detail}`);
    await discardFailed(runtime, plan, ctx);
    return {
      ok: false,
      message: `${failure}; rolled back to ${previous}${back.ok ? "" : ` (still unhealthy: ${back.detail})`}`,
      activeReleaseId: previous,
      rolledBack: true,
    };
  } catch (error) {
    log("error", `${kind}: rollback failed: ${tail((error as Error).message)}`);
    return { ok: false, message: `${failure}; rollback failed`, rolledBack: false };
  }
}

/** Nothing of a release that failed and was rolled back stays on the host (folder, built images). */
export async function discardFailed(runtime: Runtime, plan: ReleasePlan, ctx: StepContext): Promise<void> {
  const { ref, releaseId } = plan.request;
  // A redeploy of the release the host keeps for a rollback must not take it away.
  if (releaseId === plan.previousReleaseId) return;
  try {
    const running = (await runtime.currentRelease(ref)) ?? undefined;
    await runtime.prune(ref, Number.MAX_SAFE_INTEGER, [running], [releaseId]);
    ctx.log("info", `${runtime.kind}: removed the failed release ${releaseId}`);
  } catch (error) {
    ctx.log(
      "warn",
      `${runtime.kind}: could not remove the failed release ${releaseId}: ${tail((error as Error).message)}`,
    );
  }
}

/** The failing release's own last words (container logs, unit journal), before a rollback replaces it. */
export async function logRecentOutput(
  kind: string,
  read: (lines: number, signal: AbortSignal) => Promise<string[]>,
  ctx: StepContext,
): Promise<void> {
  if (ctx.signal.aborted) return;
  try {
    const lines = await read(FAILURE_LOG_LINES, ctx.signal);
    if (!lines.length) return ctx.log("info", `${kind}: the service printed nothing`);
    ctx.log("info", `${kind}: the service's last ${lines.length} output line(s):`);
    for (const line of lines) ctx.log("info", `  ${line}`);
  } catch (error) {
    ctx.log("warn", `${kind}: could not read the service's output: ${(error as Error).message}`);
  }
}
