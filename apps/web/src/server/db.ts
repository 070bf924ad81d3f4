import "server-only";
import { createPrismaClient, type PrismaClient } from "@capstan/db";
import { env } from "@/env";

// One client per server process, kept on globalThis so dev hot reload does not leak pools.
// Creating it opens no connection; the pool connects on the first query.
const globalForPrisma = globalThis as unknown as { capstanPrisma?: PrismaClient };

function getPrisma(): PrismaClient {
  if (!globalForPrisma.capstanPrisma) {
    globalForPrisma.capstanPrisma = createPrismaClient({
      connectionString: env.DATABASE_URL,
      poolMax: env.DATABASE_POOL_MAX,
    });
  }
  return globalForPrisma.capstanPrisma;
}

export const prisma: PrismaClient = getPrisma();
