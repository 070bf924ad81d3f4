// The receiving end of push-to-deploy. The signature is the only credential: an unknown hook and
// a bad signature answer the same 401. Rejected requests leave a REJECTED row (no body, no
// claimed delivery id, at most REJECTED_PER_MINUTE per hook) so an operator can see that a sender
// uses the wrong secret, while a flood of forgeries cannot grow the table or the audit log.
// Redeliveries are deduplicated twice over: the deploy carries an idempotency key derived from
// the delivery id (so two racing copies make one deployment), and the delivery row is unique per
// (hook, delivery id) (so only one records and audits it).
import type { PushDeliveryStatus, PushHook } from "@capstan/db";
import { type Actor, recordAuditEvent } from "../audit/record-audit-event";
import { readRevisionSpec } from "../columns/revision-spec";
import { type Db, withTransaction } from "../db";
import { deploy, type GitAccess } from "../deployments/deploy";
import { AppError, isAppError } from "../errors";
import { isUuid } from "../ids";
import { type Keyring, requireKeyring } from "../secrets/keyring";
import { resolveSecrets } from "../secrets/resolve-secrets";
import { openTeamDataKey } from "../secrets/team-data-key";
import { openWebhookSecret } from "../webhooks/webhook-secret";
import { branchMatches } from "./branch-filter";
import { PUSH_DELIVERY_SELECT, type PushDeliveryView } from "./list-push-deliveries";
import {
  branchOf,
  deliveryIdOf,
  detectPushRequest,
  type PushEvent,
  parsePushEvent,
  verifyPushRequest,
} from "./push-request";

export const PUSH_BODY_MAX_BYTES = 1024 * 1024;
const REJECTED_PER_MINUTE = 10;
/**
 * Delivery rows kept per hook. A redelivery older than that still makes no second deployment:
 * the deploy's idempotency key (kept with the deployment) replays the first one.
 */
export const PUSH_DELIVERIES_KEPT = 500;

export interface ReceivePushInput {
  hookId: string;
  headers: Headers;
  rawBody: Buffer;
  /** May the workflow's Git source name a loopback or private address (CAPSTAN_OUTBOUND_ALLOW_PRIVATE)? */
  allowPrivateGit?: boolean;
}

export interface ReceivePushResult {
  /** 201 deployed, 200 ping or redelivery, 202 ignored, 422 the deploy was refused. */
  httpStatus: number;
  delivery: PushDeliveryView;
  /** True when this delivery id was seen before: `delivery` is the first result. */
  duplicate: boolean;
}

const unauthorized = () => new AppError("UNAUTHENTICATED", "Invalid push hook signature.");

export async function receivePush(
  db: Db,
  keyring: Keyring | null | undefined,
  input: ReceivePushInput,
): Promise<ReceivePushResult> {
  if (input.rawBody.length > PUSH_BODY_MAX_BYTES)
    throw new AppError("PAYLOAD_TOO_LARGE", `A push body may be at most ${PUSH_BODY_MAX_BYTES} bytes.`);
  const hook = isUuid(input.hookId)
    ? await db.pushHook.findUnique({
        where: { id: input.hookId },
        include: { workflow: { select: { name: true } } },
      })
    : null;
  if (!hook) throw unauthorized();
  const request = detectPushRequest(input.headers);
  if (!request || !verifyPushRequest(request, await openHookSecret(db, keyring, hook), input.rawBody)) {
    await recordRejected(db, hook, request?.provider ?? "unknown");
    throw unauthorized();
  }
  const event = parsePushEvent(request, input.rawBody);
  const deliveryId = deliveryIdOf(event, request, input.rawBody);
  const earlier = await db.pushDelivery.findUnique({
    where: { hookId_deliveryId: { hookId: hook.id, deliveryId } },
    select: PUSH_DELIVERY_SELECT,
  });
  if (earlier) return { httpStatus: 200, delivery: earlier, duplicate: true };
  const outcome = await decide(db, hook, event, deliveryId, {
    // A Git source's credentials secret is opened with the same keyring as the hook's secret.
    resolveSecrets: keyring ? (args) => resolveSecrets(db, keyring, args) : undefined,
    allowPrivateGit: input.allowPrivateGit,
  });
  try {
    const delivery = await withTransaction(db, async (tx) => {
      const row = await tx.pushDelivery.create({
        data: {
          hookId: hook.id,
          provider: request.provider,
          deliveryId,
          status: outcome.status,
          ref: event.kind === "push" ? event.ref : null,
          commit: event.kind === "push" ? event.commit : null,
          deploymentId: outcome.deploymentId ?? null,
          error: outcome.error ?? null,
        },
        select: PUSH_DELIVERY_SELECT,
      });
      await recordDeliveryEvent(tx, hook, row);
      await pruneDeliveries(tx, hook.id);
      return row;
    });
    return { httpStatus: HTTP_STATUS[outcome.status], delivery, duplicate: false };
  } catch (error) {
    // A copy of this delivery raced us past the lookup; its deploy replayed ours (same key).
    if ((error as { code?: string } | null)?.code !== "P2002") throw error;
    const first = await db.pushDelivery.findUniqueOrThrow({
      where: { hookId_deliveryId: { hookId: hook.id, deliveryId } },
      select: PUSH_DELIVERY_SELECT,
    });
    return { httpStatus: 200, delivery: first, duplicate: true };
  }
}

const HTTP_STATUS: Record<PushDeliveryStatus, number> = {
  DEPLOYED: 201,
  FAILED: 422,
  PING: 200,
  IGNORED_BRANCH: 202,
  IGNORED_EVENT: 202,
  DISABLED: 202,
  REJECTED: 401,
};

async function openHookSecret(db: Db, keyring: Keyring | null | undefined, hook: PushHook): Promise<string> {
  const dek = await openTeamDataKey(db, requireKeyring(keyring), hook.teamId, "share");
  try {
    return openWebhookSecret(dek, hook, "push-hook");
  } finally {
    dek.key.fill(0);
  }
}

interface Outcome {
  status: PushDeliveryStatus;
  deploymentId?: string;
  error?: string;
}

async function decide(
  db: Db,
  hook: PushHook,
  event: PushEvent,
  deliveryId: string,
  git: GitAccess,
): Promise<Outcome> {
  if (event.kind === "ping") return { status: "PING" };
  if (event.kind === "other") return { status: "IGNORED_EVENT" };
  if (!hook.enabled) return { status: "DISABLED" };
  const branch = branchOf(event.ref);
  if (!branch || !event.commit || !branchMatches(hook.branches, branch)) return { status: "IGNORED_BRANCH" };
  const latest = await db.revision.findFirst({
    where: { workflowId: hook.workflowId },
    orderBy: { number: "desc" },
    select: { id: true, spec: true },
  });
  if (!latest) return { status: "FAILED", error: "The workflow has no revision to deploy yet." };
  try {
    const { deployment } = await deploy(db, {
      teamId: hook.teamId,
      revision: latest.id,
      actor: hookActor(hook),
      // The hook acts for the team (an ADMIN made it), not for a member: no environment narrows it.
      caller: null,
      idempotencyKey: `push:${hook.id}:${deliveryId}`,
      // With a Git source the pushed commit is what ships; without one (images, inline YAML) a
      // push redeploys the latest revision, like a redeploy hook.
      ...(readRevisionSpec(latest.spec)?.source?.git ? { commit: event.commit } : {}),
      ...git,
    });
    return { status: "DEPLOYED", deploymentId: deployment.id };
  } catch (error) {
    if (!isAppError(error)) throw error;
    return { status: "FAILED", error: error.message };
  }
}

const hookActor = (hook: PushHook): Actor => ({ type: "SYSTEM", id: hook.id, label: "push hook" });

async function recordDeliveryEvent(
  db: Db,
  hook: PushHook & { workflow: { name: string } },
  delivery: PushDeliveryView,
): Promise<void> {
  await recordAuditEvent(db, {
    teamId: hook.teamId,
    actor: hookActor(hook),
    kind: "push_hook.delivery_received",
    target: { type: "workflow", id: hook.workflowId },
    data: {
      hookId: hook.id,
      workflow: hook.workflow.name,
      provider: delivery.provider,
      deliveryId: delivery.deliveryId,
      status: delivery.status,
      ref: delivery.ref,
      commit: delivery.commit,
      deploymentId: delivery.deploymentId,
      error: delivery.error,
    },
  });
}

async function recordRejected(
  db: Db,
  hook: PushHook & { workflow: { name: string } },
  provider: string,
): Promise<void> {
  const recent = await db.pushDelivery.count({
    where: { hookId: hook.id, status: "REJECTED", receivedAt: { gte: new Date(Date.now() - 60_000) } },
  });
  if (recent >= REJECTED_PER_MINUTE) return;
  await withTransaction(db, async (tx) => {
    const row = await tx.pushDelivery.create({
      data: { hookId: hook.id, provider, status: "REJECTED", error: "Bad or missing signature." },
      select: PUSH_DELIVERY_SELECT,
    });
    await recordDeliveryEvent(tx, hook, row);
    await pruneDeliveries(tx, hook.id);
  });
}

async function pruneDeliveries(db: Db, hookId: string): Promise<void> {
  await db.$executeRaw`DELETE FROM "PushDelivery" WHERE "hookId" = ${hookId}::uuid AND id IN (
    SELECT id FROM "PushDelivery" WHERE "hookId" = ${hookId}::uuid
    ORDER BY "receivedAt" DESC, id DESC OFFSET ${PUSH_DELIVERIES_KEPT})`;
}
