import type { PrismaClient } from "@capstan/db";
import { hashPassword, verifyPassword } from "@capstan/db/passwords";
import { recordAuditEvent } from "../audit/record-audit-event";
import { AppError } from "../errors";
import { normalizeEmail } from "../users/normalize-email";

export interface VerifiedUser {
  id: string;
  email: string;
  name: string | null;
}

/** Failed attempts allowed per account within the window (since its last successful sign-in). */
export const MAX_FAILED_SIGN_INS = 10;
export const FAILED_SIGN_IN_WINDOW_MS = 15 * 60_000;

// Verifying against a real hash when the user is unknown keeps the response time the same, so
// timing does not reveal which emails have accounts.
let dummyHash: Promise<string> | undefined;

/**
 * Checks an email and password; returns the user or null (never says which part was wrong).
 * Successful and failed attempts on existing accounts are audited in each of the user's teams;
 * those failure events also drive the per-account limit (RATE_LIMITED after too many), so it holds
 * across every control-plane process.
 */
export async function verifyCredentials(
  prisma: PrismaClient,
  input: { email: string; password: string; ip?: string | null },
): Promise<VerifiedUser | null> {
  let email: string;
  try {
    email = normalizeEmail(input.email);
  } catch {
    return null;
  }
  const user = await prisma.user.findUnique({
    where: { email },
    select: {
      id: true,
      email: true,
      name: true,
      passwordHash: true,
      memberships: { select: { teamId: true } },
    },
  });
  if (!user?.passwordHash) {
    dummyHash ??= hashPassword("capstan-timing-equaliser");
    await verifyPassword(await dummyHash, input.password);
    return null;
  }
  const teamIds = user.memberships.length > 0 ? user.memberships.map((m) => m.teamId) : [null];
  if ((await countRecentFailures(prisma, user.id)) / teamIds.length >= MAX_FAILED_SIGN_INS) {
    throw new AppError(
      "RATE_LIMITED",
      "Too many failed sign-ins for this account. Wait 15 minutes and try again.",
    );
  }
  const ok = await verifyPassword(user.passwordHash, input.password);
  for (const teamId of teamIds) {
    await recordAuditEvent(prisma, {
      teamId,
      actor: { type: "USER", id: user.id, label: user.email },
      kind: ok ? "user.signed_in" : "user.sign_in_failed",
      target: { type: "user", id: user.id },
      data: input.ip ? { ip: input.ip } : {},
    });
  }
  return ok ? { id: user.id, email: user.email, name: user.name } : null;
}

/** Failure events (one per team per attempt) since the window start or the last success. */
async function countRecentFailures(prisma: PrismaClient, userId: string): Promise<number> {
  const windowStart = new Date(Date.now() - FAILED_SIGN_IN_WINDOW_MS);
  const lastSuccess = await prisma.auditEvent.findFirst({
    where: { actorType: "USER", actorId: userId, kind: "user.signed_in", createdAt: { gt: windowStart } },
    orderBy: { id: "desc" },
    select: { id: true },
  });
  return prisma.auditEvent.count({
    where: {
      actorType: "USER",
      actorId: userId,
      kind: "user.sign_in_failed",
      createdAt: { gt: windowStart },
      ...(lastSuccess ? { id: { gt: lastSuccess.id } } : {}),
    },
  });
}
