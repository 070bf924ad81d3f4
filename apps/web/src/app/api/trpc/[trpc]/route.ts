import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { getSessionUserId } from "@/server/auth";
import { prisma } from "@/server/db";
import { logger } from "@/server/logger";
import { appRouter } from "@/server/trpc/root";

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: async () => ({
      prisma,
      userId: await getSessionUserId(),
      ip: req.headers.get("x-forwarded-for")?.split(",")[0]?.trim() ?? null,
    }),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR")
        logger.error({ err: error.cause ?? error, path }, "tRPC call failed");
    },
  });
}

export { handler as GET, handler as POST };
