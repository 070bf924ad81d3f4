import type { Db } from "../db";

/** A fresh install (no user at all) must be set up before anyone can sign in. */
export async function getSetupStatus(db: Db): Promise<{ needsSetup: boolean }> {
  const user = await db.user.findFirst({ select: { id: true } });
  return { needsSetup: user === null };
}
