import type { Prisma, PrismaClient } from "@capstan/db";

/** Either the client or a transaction client: use cases accept both so callers can compose them. */
export type Db = PrismaClient | Prisma.TransactionClient;
