import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { env } from "@/env";
import { getSignedInSession, requestAddress } from "@/server/auth";
import { prisma } from "@/server/db";
import { errorResponse } from "@/server/errors";
import { logger } from "@/server/logger";
import { crossOriginRefusal } from "@/server/same-origin";
import { appRouter } from "@/server/trpc/root";

function handler(req: Request) {
  const refusal = crossOriginRefusal(req);
  if (refusal) return errorResponse(refusal, { "cache-control": "no-store" });
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: async () => {
      const session = await getSignedInSession();
      return {
        prisma,
        userId: session?.userId ?? null,
        sessionId: session?.sessionId ?? null,
        ip: requestAddress(req.headers),
        outboundAllowPrivate: env.CAPSTAN_OUTBOUND_ALLOW_PRIVATE,
      };
    },
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR")
        logger.error({ err: error.cause ?? error, path }, "tRPC call failed");
    },
  });
}

export { handler as GET, handler as POST };
