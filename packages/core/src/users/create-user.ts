import type { User } from "@capstan/db";
import type { Db } from "../db";
import { conflict } from "../errors";
import { normalizeEmail } from "./normalize-email";

export interface CreateUserInput {
  email: string;
  name?: string | null;
  /** Already hashed (argon2id): hashing is slow, so callers do it before opening a transaction. */
  passwordHash: string;
  /** Only first-run setup sets it: the first owner administers the instance. */
  instanceAdmin?: boolean;
}

/** Creates a user; the email must be free. Used inside setup and invitation acceptance. */
export async function createUser(db: Db, input: CreateUserInput): Promise<User> {
  const email = normalizeEmail(input.email);
  const existing = await db.user.findUnique({ where: { email }, select: { id: true } });
  if (existing) throw conflict("An account with this email already exists. Sign in instead.");
  return db.user.create({
    data: {
      email,
      name: input.name?.trim() || null,
      passwordHash: input.passwordHash,
      instanceAdmin: input.instanceAdmin ?? false,
    },
  });
}
