import type { PrismaClient } from "@capstan/db";
import { hashPassword, verifyPassword } from "@capstan/db/passwords";
import { recordAuditEvent } from "../audit/record-audit-event";
import { normalizeEmail } from "../users/normalize-email";

export interface VerifiedUser {
  id: string;
  email: string;
  name: string | null;
}

// Verifying against a real hash when the user is unknown keeps the response time the same, so
// timing does not reveal which emails have accounts.
let dummyHash: Promise<string> | undefined;

/**
 * Checks an email and password; returns the user or null (never says which part was wrong).
 * Successful and failed attempts on existing accounts are audited in each of the user's teams.
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
  const ok = await verifyPassword(user.passwordHash, input.password);
  const teamIds = user.memberships.length > 0 ? user.memberships.map((m) => m.teamId) : [null];
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
