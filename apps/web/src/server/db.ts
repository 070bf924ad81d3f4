import "server-only";
import { createPrismaClient, type PrismaClient } from "@capstan/db";
import { env } from "@/env";

// One client per server process (kept on globalThis so dev hot reload does not leak pools).
const globalForPrisma = globalThis as unknown as { capstanPrisma?: PrismaClient };

export const prisma: PrismaClient =
  globalForPrisma.capstanPrisma ??
  (globalForPrisma.capstanPrisma = createPrismaClient({
    connectionString: env.DATABASE_URL,
    poolMax: env.DATABASE_POOL_MAX,
  }));
