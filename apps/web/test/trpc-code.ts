import { TRPCError } from "@trpc/server";

/** For tests: "OK" when the call succeeds, else the tRPC error code it failed with. */
export async function trpcCode(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "OK";
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}
