import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client";

export interface ClientOptions {
  connectionString: string;
  /** Pool size. The embedded database serves one connection at a time, so it uses 1. */
  poolMax?: number;
}

/** A Prisma client over node-postgres (Prisma 7 needs a driver adapter). */
export function createPrismaClient({ connectionString, poolMax = 10 }: ClientOptions): PrismaClient {
  const adapter = new PrismaPg({ connectionString, max: poolMax });
  // Prisma's defaults give an interactive transaction 2 s to get a pooled connection: a busy
  // machine (or a burst of agents completing jobs) waits longer than that for a connection that
  // is about to be free, and the request failed instead of waiting its turn.
  return new PrismaClient({ adapter, transactionOptions: { maxWait: 15_000, timeout: 30_000 } });
}
