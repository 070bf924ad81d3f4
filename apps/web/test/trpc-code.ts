import { TRPCError } from "@trpc/server";

/** For tests: "OK" when the call succeeds, else "CODE: message" of the tRPC error it failed with. */
export async function trpcOutcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "OK";
  } catch (error) {
    if (error instanceof TRPCError) return `${error.code}: ${error.message}`;
    throw error;
  }
}

/** For tests: "OK" when the call succeeds, else the tRPC error code it failed with. */
export async function trpcCode(call: Promise<unknown>): Promise<string> {
  return (await trpcOutcome(call)).split(":")[0]!;
}
