// Test-only helpers: users, teams and memberships created straight in the database so tests of
// other use cases do not depend on setup or invitations (and skip slow password hashing).
import { randomUUID } from "node:crypto";
import type { PrismaClient, Role } from "@capstan/db";
import { postgresAvailable } from "@capstan/db/testing";
import type { AppError } from "../src/errors";
import type { TeamActor } from "../src/rbac/team-actor";

export async function createTestUser(prisma: PrismaClient, label = "user") {
  const email = `${label}-${randomUUID().slice(0, 8)}@example.test`;
  return prisma.user.create({ data: { email, name: label } });
}

export async function createTestTeam(prisma: PrismaClient, name = "Team") {
  const slug = `${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${randomUUID().slice(0, 8)}`;
  return prisma.team.create({ data: { name, slug } });
}

/** A new user with `role` in `teamId`, returned as the actor a team use case receives. */
export async function createTestMember(
  prisma: PrismaClient,
  teamId: string,
  role: Role,
  label: string = role.toLowerCase(),
) {
  const user = await createTestUser(prisma, label);
  const membership = await prisma.membership.create({ data: { teamId, userId: user.id, role } });
  const actor: TeamActor = { teamId, userId: user.id, email: user.email, role };
  return { user, membership, actor };
}

/** Whether the test PostgreSQL server answers (kept for existing callers; see @capstan/db/testing). */
export function postgresComponent(): Promise<{ available: boolean; reason: string }> {
  return postgresAvailable();
}

/** The AppError a call fails with; throws when the call succeeds. */
export async function appError(call: Promise<unknown>): Promise<AppError> {
  try {
    await call;
  } catch (error) {
    return error as AppError;
  }
  throw new Error("expected the call to fail");
}
