// Demo data for a development database: team "Demo" (slug demo) owned by demo@capstan.local.
import { randomBytes } from "node:crypto";
import type { PrismaClient } from "./generated/prisma/client";
import { hashPassword } from "./passwords";

export const DEMO_TEAM = { name: "Demo", slug: "demo" } as const;
export const DEMO_EMAIL = "demo@capstan.local";

export interface SeedOptions {
  /** Password for a new demo user, or for an existing one with resetPassword; default random. */
  password?: string;
  /** Set a new password for an existing demo user (otherwise its password is left alone). */
  resetPassword?: boolean;
}

export interface SeedResult {
  teamId: string;
  userId: string;
  email: string;
  /** The password that was set now, or null when the existing one was kept. */
  password: string | null;
  created: boolean;
}

/** Creates what is missing and changes nothing else, so it can run any number of times. */
export async function seedDemo(prisma: PrismaClient, options: SeedOptions = {}): Promise<SeedResult> {
  const existing = await prisma.user.findUnique({ where: { email: DEMO_EMAIL }, select: { id: true } });
  const setPassword = !existing || options.resetPassword === true;
  const password = setPassword ? (options.password ?? randomBytes(12).toString("base64url")) : null;
  if (password !== null && password.length < 10)
    throw new Error("The demo password needs at least 10 characters.");
  // Hash outside the transaction: argon2 takes a while and the transaction holds a connection.
  const passwordHash = password === null ? undefined : await hashPassword(password);

  return prisma.$transaction(async (tx) => {
    const team = await tx.team.upsert({
      where: { slug: DEMO_TEAM.slug },
      update: {},
      create: { ...DEMO_TEAM },
    });
    const user = await tx.user.upsert({
      where: { email: DEMO_EMAIL },
      update: passwordHash ? { passwordHash } : {},
      create: { email: DEMO_EMAIL, name: "Demo Owner", passwordHash: passwordHash! },
    });
    const membership = await tx.membership.findUnique({
      where: { teamId_userId: { teamId: team.id, userId: user.id } },
    });
    if (!membership)
      await tx.membership.create({ data: { teamId: team.id, userId: user.id, role: "OWNER" } });
    const created = !existing || !membership;
    if (created || password !== null) {
      await tx.auditEvent.create({
        data: {
          teamId: team.id,
          actorType: "SYSTEM",
          actorLabel: "db:seed",
          kind: existing ? "seed.password_reset" : "seed.demo_created",
          targetType: "user",
          targetId: user.id,
          data: { email: DEMO_EMAIL },
        },
      });
    }
    return { teamId: team.id, userId: user.id, email: DEMO_EMAIL, password, created };
  });
}
