// What a push webhook request says, per provider. Detection reads headers only; the body is
// parsed only after its signature (or GitLab's token) checked out, so nothing an unsigned sender
// writes reaches the database. Every secret comparison is constant-time over fixed-size digests.
//
//   GitHub          X-GitHub-Event, X-Hub-Signature-256: sha256=<hex HMAC>, X-GitHub-Delivery
//   GitLab          X-Gitlab-Event, X-Gitlab-Token: <secret>, X-Gitlab-Event-UUID / Idempotency-Key
//   Gitea/Forgejo   X-Gitea-Event / X-Forgejo-Event, X-Gitea-Signature / X-Forgejo-Signature: <hex HMAC>,
//                   X-Gitea-Delivery / X-Forgejo-Delivery (they also send GitHub's headers: checked first)
//   generic         X-Capstan-Signature: sha256=<hex HMAC>, body { ref, commit, deliveryId }
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { badRequest } from "../errors";

export type PushProvider = "github" | "gitlab" | "gitea" | "forgejo" | "generic";

export interface PushRequest {
  provider: PushProvider;
  /** The event name the provider sent ("push", "ping", "Push Hook", ...). */
  event: string;
  /** Signature header value, or GitLab's token. */
  credential: string | null;
  /** From a header (unsigned except for generic, whose id is in the signed body). */
  deliveryId: string | null;
}

export type PushEvent =
  | { kind: "ping" }
  | { kind: "other"; event: string }
  | { kind: "push"; ref: string; commit: string | null; deliveryId: string | null };

const header = (headers: Headers, name: string): string | null => headers.get(name)?.trim() || null;

/** Which provider sent this request, from its headers; null when no known provider's headers are present. */
export function detectPushRequest(headers: Headers): PushRequest | null {
  const capstan = header(headers, "x-capstan-signature");
  if (capstan) return { provider: "generic", event: "push", credential: capstan, deliveryId: null };
  for (const provider of ["forgejo", "gitea"] as const) {
    const event = header(headers, `x-${provider}-event`);
    const credential = header(headers, `x-${provider}-signature`);
    if (event || credential)
      return {
        provider,
        event: event ?? "",
        credential,
        deliveryId: header(headers, `x-${provider}-delivery`),
      };
  }
  const gitlab = header(headers, "x-gitlab-event");
  const token = header(headers, "x-gitlab-token");
  if (gitlab || token)
    return {
      provider: "gitlab",
      event: gitlab ?? "",
      credential: token,
      deliveryId: header(headers, "x-gitlab-event-uuid") ?? header(headers, "idempotency-key"),
    };
  const github = header(headers, "x-github-event");
  const signature = header(headers, "x-hub-signature-256");
  if (github || signature)
    return {
      provider: "github",
      event: github ?? "",
      credential: signature,
      deliveryId: header(headers, "x-github-delivery"),
    };
  return null;
}

const sha256 = (text: string | Buffer) => createHash("sha256").update(text).digest();

/** Compares two strings in constant time whatever their lengths (both are hashed first). */
function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

function sameHmac(given: string, secret: string, body: Buffer): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(given)) return false;
  const expected = createHmac("sha256", secret).update(body).digest();
  return timingSafeEqual(Buffer.from(given, "hex"), expected);
}

/** Whether the request proves knowledge of the hook's secret. */
export function verifyPushRequest(request: PushRequest, secret: string, body: Buffer): boolean {
  const credential = request.credential;
  if (!credential) return false;
  switch (request.provider) {
    case "gitlab":
      return sameSecret(credential, secret);
    case "gitea":
    case "forgejo":
      return sameHmac(credential, secret, body);
    case "github":
    case "generic":
      return credential.startsWith("sha256=") && sameHmac(credential.slice(7), secret, body);
  }
}

const commitSchema = z.string().regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/i);
const gitPushSchema = z.object({ ref: z.string().max(300), after: z.string().max(64).optional() });
const genericSchema = z.object({
  ref: z.string().min(1).max(300),
  commit: commitSchema,
  deliveryId: z.string().max(128),
});

const DELETED = /^0+$/;

function parseJson(body: Buffer, provider: PushProvider): unknown {
  const text = body.toString("utf8");
  if (provider === "github" && text.startsWith("payload="))
    throw badRequest("Set the GitHub webhook's content type to application/json.");
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest("The push body is not JSON; send the provider's JSON payload unchanged.");
  }
}

/** The event in a verified request. A branch deletion is a push with no commit. */
export function parsePushEvent(request: PushRequest, body: Buffer): PushEvent {
  const event = request.event.toLowerCase();
  if (event === "ping") return { kind: "ping" };
  const isPush =
    request.provider === "generic" ||
    (request.provider === "gitlab" ? event === "push hook" || event === "tag push hook" : event === "push");
  if (!isPush) return { kind: "other", event: request.event.slice(0, 60) };
  const json = parseJson(body, request.provider);
  if (request.provider === "generic") {
    const parsed = genericSchema.safeParse(json);
    if (!parsed.success)
      throw badRequest(
        'The generic push body needs { "ref": "main" or "refs/heads/main", "commit": "<40-hex sha>", "deliveryId": "<unique id>" }.',
      );
    const { ref, commit, deliveryId } = parsed.data;
    return {
      kind: "push",
      ref: ref.startsWith("refs/") ? ref : `refs/heads/${ref}`,
      commit: commit.toLowerCase(),
      deliveryId,
    };
  }
  const parsed = gitPushSchema.safeParse(json);
  if (!parsed.success)
    throw badRequest(`The ${request.provider} push body has no "ref"; is this a push event?`);
  const after = parsed.data.after ?? "";
  const commit = commitSchema.safeParse(after).success && !DELETED.test(after) ? after.toLowerCase() : null;
  return { kind: "push", ref: parsed.data.ref, commit, deliveryId: request.deliveryId };
}

const DELIVERY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * The id redeliveries share. Without one (old GitLab) the body's hash stands in: a resent body is
 * the same push, so it is deduplicated all the same.
 */
export function deliveryIdOf(event: PushEvent, request: PushRequest, body: Buffer): string {
  const given = event.kind === "push" ? event.deliveryId : request.deliveryId;
  if (!given) return `body-${sha256(body).toString("hex").slice(0, 40)}`;
  if (!DELIVERY_ID.test(given))
    throw badRequest(
      "The delivery id must be 1-128 letters, digits or . _ : - (starting with a letter or digit).",
    );
  return given;
}

/** The branch a push is to, or null for tags and other refs. */
export function branchOf(ref: string): string | null {
  return ref.startsWith("refs/heads/") && ref.length > 11 ? ref.slice(11) : null;
}
