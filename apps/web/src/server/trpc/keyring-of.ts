import type { Keyring } from "@capstan/core/secrets/keyring";
import type { TRPCContext } from "./init";

/** The context's keyring (tests pass one), else the server's. */
export async function keyringOf(ctx: TRPCContext): Promise<Keyring | null> {
  if (ctx.keyring !== undefined) return ctx.keyring;
  // Loaded on first use so importing a router (tests, build) reads no environment.
  const { getKeyring } = await import("@/server/keyring");
  return getKeyring();
}
