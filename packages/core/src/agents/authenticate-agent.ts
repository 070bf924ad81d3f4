// Authenticates one signed agent request. The host id comes from the verified token only; the
// public key is cached per process (a host's key never changes), but revocation and replay are
// checked in the database on every request, in one statement.
import type { KeyObject } from "node:crypto";
import {
  CLOCK_SKEW_SECONDS,
  importAgentPublicKey,
  readClaimedHostId,
  SignatureError,
  verifyAgentRequest,
} from "@capstan/protocol";
import type { Db } from "../db";
import { AppError } from "../errors";
import { isUuid } from "../ids";
import { touchAgentContact } from "./contact-batcher";

export interface AuthenticatedAgent {
  hostId: string;
  teamId: string;
  hostName: string;
}

export interface AgentRequestToAuthenticate {
  /** The Authorization header as received. */
  authorization: string | null;
  method: string;
  /** Path and query as received. */
  path: string;
  /** sha256 of the raw body, base64url (`hashBody` from @capstan/protocol). */
  bodyHash: string;
}

interface CachedKey {
  key: KeyObject;
  teamId: string;
  name: string;
}

const MAX_CACHED_KEYS = 20_000;
const keyCache = new Map<string, CachedKey>();

/** Forgets a host's cached key (on revocation; also used by tests). */
export function forgetAgentKey(hostId: string): void {
  keyCache.delete(hostId);
}

function unauthenticated(message: string, reason: string): AppError {
  return new AppError("UNAUTHENTICATED", message, { reason });
}

async function loadKey(db: Db, hostId: string): Promise<CachedKey> {
  const cached = keyCache.get(hostId);
  if (cached) return cached;
  const host = await db.host.findUnique({
    where: { id: hostId },
    select: { publicKey: true, teamId: true, name: true, status: true },
  });
  if (!host)
    throw unauthenticated("This agent's key is not enrolled. Enroll the host again.", "BAD_SIGNATURE");
  if (host.status === "REVOKED") throw unauthenticated("This host has been revoked.", "HOST_REVOKED");
  const entry = { key: importAgentPublicKey(host.publicKey), teamId: host.teamId, name: host.name };
  if (keyCache.size >= MAX_CACHED_KEYS) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(hostId, entry);
  return entry;
}

export async function authenticateAgent(
  db: Db,
  request: AgentRequestToAuthenticate,
): Promise<AuthenticatedAgent> {
  const match = /^Bearer ([A-Za-z0-9_.-]{20,4096})$/.exec(request.authorization ?? "");
  if (!match)
    throw unauthenticated("Sign the request: Authorization: Bearer <agent signature>.", "BAD_SIGNATURE");
  const token = match[1]!;
  let claimed: string;
  try {
    claimed = readClaimedHostId(token);
  } catch {
    throw unauthenticated("The request signature is malformed.", "BAD_SIGNATURE");
  }
  if (!isUuid(claimed)) throw unauthenticated("This agent's key is not enrolled.", "BAD_SIGNATURE");

  const entry = await loadKey(db, claimed);
  let verified: Awaited<ReturnType<typeof verifyAgentRequest>>;
  try {
    verified = await verifyAgentRequest(token, {
      publicKey: entry.key,
      method: request.method,
      path: request.path,
      bodyHash: request.bodyHash,
    });
  } catch (error) {
    const message = error instanceof SignatureError ? error.message : "The request signature is not valid.";
    throw unauthenticated(message, "BAD_SIGNATURE");
  }

  // The nonce is kept until the signature could no longer be accepted (exp + skew), so a replay
  // inside that window hits the primary key. One statement: remember the nonce, read the current
  // status (revocation takes effect on the very next request), and bring a PENDING or OFFLINE host
  // ONLINE at once (users see that). An ONLINE host's contact time is only "still alive": it is
  // queued and written with every other host's in one statement (contact-batcher.ts).
  const keepUntil = verified.expiresAt + CLOCK_SKEW_SECONDS;
  // Committed without waiting for the WAL flush: a nonce only matters for 90 s and the contact
  // time is soft state; losing the last fraction of a second of them in a database crash is
  // harmless, and not waiting for fsync keeps every agent request cheap.
  // set_config(..., true) applies to this statement's own transaction: no BEGIN/COMMIT round trips.
  const rows = await db.$queryRaw<{ status: string; fresh: boolean; woke: boolean }[]>`
    WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true)),
    nonce AS (
      INSERT INTO "AgentNonce" ("hostId", nonce, "expiresAt")
      SELECT ${verified.hostId}::uuid, ${verified.nonce}, to_timestamp(${keepUntil}) FROM async_commit
      ON CONFLICT DO NOTHING
      RETURNING 1
    ),
    woke AS (
      UPDATE "Host" SET "lastSeenAt" = now(), status = 'ONLINE'
      WHERE id = ${verified.hostId}::uuid AND status IN ('PENDING', 'OFFLINE') AND EXISTS (SELECT 1 FROM nonce)
      RETURNING status
    )
    SELECT COALESCE((SELECT status::text FROM woke), h.status::text) AS status,
      EXISTS (SELECT 1 FROM nonce) AS fresh, EXISTS (SELECT 1 FROM woke) AS woke
    FROM "Host" h WHERE h.id = ${verified.hostId}::uuid`;
  const row = rows[0];
  if (!row) {
    forgetAgentKey(verified.hostId);
    throw unauthenticated("This agent's key is not enrolled.", "BAD_SIGNATURE");
  }
  if (row.status === "REVOKED") {
    forgetAgentKey(verified.hostId);
    throw unauthenticated("This host has been revoked.", "HOST_REVOKED");
  }
  if (!row.fresh)
    throw unauthenticated("This signed request was already used; sign every request anew.", "REPLAYED");
  if (!row.woke) await touchAgentContact(db, verified.hostId);
  return { hostId: verified.hostId, teamId: entry.teamId, hostName: entry.name };
}
