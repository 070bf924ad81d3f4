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
  return new PrismaClient({ adapter });
}
