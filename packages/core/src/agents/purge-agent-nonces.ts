import type { Db } from "../db";

/** Deletes nonces whose signatures can no longer be accepted anyway. */
export async function purgeAgentNonces(db: Db): Promise<number> {
  return db.$executeRaw`DELETE FROM "AgentNonce" WHERE "expiresAt" < now()`;
}
