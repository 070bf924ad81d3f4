import type { Prisma, PrismaClient } from "@capstan/db";

/** Either the client or a transaction client: use cases accept both so callers can compose them. */
export type Db = PrismaClient | Prisma.TransactionClient;

/** The interactive-transaction options use cases pass (the caller's own transaction keeps its own). */
interface TransactionOptions {
  timeout?: number;
  isolationLevel?: Prisma.TransactionIsolationLevel;
}

/**
 * Runs `fn` in a transaction: a new one when `db` is the client, the caller's own when `db` is
 * already a transaction client (so a use case composes into a larger transaction unchanged; then
 * `options` do not apply, the outer transaction's settings do).
 */
export function withTransaction<T>(
  db: Db,
  fn: (tx: Prisma.TransactionClient) => Promise<T>,
  options?: TransactionOptions,
): Promise<T> {
  return "$transaction" in db ? db.$transaction(fn, options) : fn(db);
}
