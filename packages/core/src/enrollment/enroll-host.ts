// Consumes an enrollment token and creates the host. The token is consumed by one conditional
// UPDATE, so two agents racing with the same token cannot both win; if creating the host fails
// the transaction rolls the consumption back and the token stays usable. An agent whose answer was
// lost (a timeout after the commit) retries with the same token and key and gets the same host.
import { randomBytes } from "node:crypto";
import type { Prisma } from "@capstan/db";
import { type EnrollRequest, hashBody, importAgentPublicKey } from "@capstan/protocol";
import { HOST_NAME_PATTERN } from "@capstan/templates";
import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { AppError, badRequest, conflict } from "../errors";
import { hashEnrollmentToken, isEnrollmentTokenShape } from "./enrollment-token";

export interface EnrolledHost {
  hostId: string;
  teamId: string;
  hostName: string;
  status: "PENDING";
  labels: Record<string, string>;
}

interface ConsumedToken {
  id: string;
  teamId: string;
  hostName: string | null;
  labels: Record<string, string>;
}

function tokenError(message: string, reason: string, code: "UNAUTHENTICATED" | "GONE" = "GONE"): AppError {
  return new AppError(code, message, { reason });
}

/** Why a token could not be consumed, in words an operator can act on. */
async function explainUnusableToken(db: Db, tokenHash: string): Promise<AppError> {
  const row = await db.enrollmentToken.findUnique({
    where: { tokenHash },
    select: { usedAt: true, revokedAt: true, expiresAt: true },
  });
  if (!row)
    return tokenError(
      "This enrollment token is not valid. Create a new one in the dashboard.",
      "TOKEN_UNKNOWN",
      "UNAUTHENTICATED",
    );
  if (row.usedAt)
    return tokenError(
      "This enrollment token was already used. Create a new one for this host.",
      "TOKEN_USED",
    );
  if (row.revokedAt)
    return tokenError("This enrollment token was revoked. Create a new one.", "TOKEN_REVOKED");
  return tokenError(
    "This enrollment token has expired. Create a new one (tokens last 1 hour by default).",
    "TOKEN_EXPIRED",
  );
}

function pickHostName(token: ConsumedToken, request: EnrollRequest): { name: string; fixed: boolean } {
  if (token.hostName) return { name: token.hostName, fixed: true };
  if (request.hostName) return { name: request.hostName, fixed: false };
  const fromFacts = (request.facts.hostname ?? "")
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .slice(0, 63);
  return {
    name: HOST_NAME_PATTERN.test(fromFacts) ? fromFacts : `host-${randomBytes(3).toString("hex")}`,
    fixed: false,
  };
}

export async function enrollHost(db: Db, request: EnrollRequest): Promise<EnrolledHost> {
  if (!isEnrollmentTokenShape(request.token)) {
    throw tokenError(
      "This enrollment token is not valid. Copy the whole token from the dashboard.",
      "TOKEN_UNKNOWN",
      "UNAUTHENTICATED",
    );
  }
  try {
    importAgentPublicKey(request.publicKey);
  } catch {
    throw badRequest("publicKey is not an Ed25519 public key (SPKI, base64).");
  }
  const tokenHash = hashEnrollmentToken(request.token);

  const result = await withTransaction(db, async (tx) => {
    const consumed = await tx.$queryRaw<ConsumedToken[]>`
        UPDATE "EnrollmentToken" SET "usedAt" = now()
        WHERE "tokenHash" = ${tokenHash} AND "usedAt" IS NULL AND "revokedAt" IS NULL AND "expiresAt" > now()
        RETURNING id, "teamId", "hostName", labels`;
    const token = consumed[0];
    if (!token) return null;

    const keyTaken = await tx.host.count({ where: { publicKey: request.publicKey } });
    if (keyTaken)
      throw conflict("This public key is already enrolled. Generate a new key pair for a new host.");

    let { name, fixed } = pickHostName(token, request);
    const nameTaken = await tx.host.count({ where: { teamId: token.teamId, name } });
    if (nameTaken) {
      if (fixed)
        throw conflict(`A host named ${name} already exists in this team. Revoke or rename it first.`);
      name = `${name.slice(0, 56)}-${randomBytes(3).toString("hex")}`;
    }
    const team = await tx.team.findUniqueOrThrow({
      where: { id: token.teamId },
      select: { approveNewHosts: true },
    });
    const host = await tx.host.create({
      data: {
        teamId: token.teamId,
        name,
        labels: token.labels,
        facts: request.facts as Prisma.InputJsonObject,
        publicKey: request.publicKey,
        agentVersion: request.agentVersion,
        status: "PENDING",
        awaitingApproval: team.approveNewHosts,
      },
      select: { id: true, name: true },
    });
    await tx.enrollmentToken.update({ where: { id: token.id }, data: { hostId: host.id } });
    await recordAuditEvent(tx, {
      teamId: token.teamId,
      actor: { type: "AGENT", id: host.id, label: host.name },
      kind: "host.enrolled",
      target: { type: "host", id: host.id },
      data: {
        tokenId: token.id,
        agentVersion: request.agentVersion,
        awaitingApproval: team.approveNewHosts,
        // A fingerprint lets people match the key on the host without storing anything secret.
        keyFingerprint: hashBody(Buffer.from(request.publicKey, "base64")).slice(0, 16),
      },
    });
    return {
      hostId: host.id,
      teamId: token.teamId,
      hostName: host.name,
      status: "PENDING" as const,
      labels: token.labels,
    };
  }).catch((error: unknown) => {
    // Two agents racing with different tokens but the same name or key: the loser hits a unique index.
    if ((error as { code?: string }).code === "P2002") {
      throw conflict("Another host was enrolled with this name or key at the same moment. Try again.");
    }
    throw error;
  });
  if (result) return result;
  const replayed = await replayedEnrollment(db, tokenHash, request.publicKey);
  if (replayed) return replayed;
  throw await explainUnusableToken(db, tokenHash);
}

/**
 * The host this token already enrolled, when the request is the same agent retrying: the same
 * token (the secret) and the same public key, and the host was never heard from (an agent that
 * got its answer signs with the key from then on, so only a lost answer looks like this). Anyone
 * else holding the used token gets TOKEN_USED as before; even with the public key they learn
 * only what enrolling would have told them, and cannot sign as the host.
 */
async function replayedEnrollment(
  db: Db,
  tokenHash: string,
  publicKey: string,
): Promise<EnrolledHost | null> {
  const token = await db.enrollmentToken.findUnique({
    where: { tokenHash },
    select: {
      labels: true,
      host: {
        select: { id: true, teamId: true, name: true, publicKey: true, status: true, lastSeenAt: true },
      },
    },
  });
  const host = token?.host;
  if (!host || host.publicKey !== publicKey || host.status !== "PENDING" || host.lastSeenAt) return null;
  return {
    hostId: host.id,
    teamId: host.teamId,
    hostName: host.name,
    status: "PENDING",
    labels: token.labels as Record<string, string>,
  };
}
