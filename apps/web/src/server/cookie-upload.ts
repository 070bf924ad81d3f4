// What the dashboard's raw-body upload routes (artifacts, bundles) share: the same-origin check
// a cookie-authenticated POST needs, session auth, and a team membership of at least `minRole`
// read from the database on every call, as in tRPC (a team the caller is not in answers 404).
// Membership is checked before the body is read: an outsider learns nothing and uploads nothing.
import { badRequest, isAppError, notFound, unauthenticated } from "@capstan/core/errors";
import { requireMembership } from "@capstan/core/rbac/require-membership";
import type { TeamActor } from "@capstan/core/rbac/team-actor";
import type { PrismaClient, Role } from "@capstan/db";
import { z } from "zod";
import { errorResponse } from "@/server/errors";
import { crossOriginRefusal } from "@/server/same-origin";

/** Called with errors that are not AppErrors (bugs, database down) before the 500 answer. */
export type LogUnexpected = (error: unknown) => void;

export interface CookieUpload<Q> {
  actor: TeamActor;
  query: Q;
}

export async function handleCookieUpload<Q extends { teamId: string }>(
  input: {
    prisma: PrismaClient;
    userId: string | null;
    request: Request;
    query: z.ZodType<Q>;
    /** Shown when the query does not parse. */
    usage: string;
    minRole: Role;
    logUnexpected?: LogUnexpected;
  },
  handle: (upload: CookieUpload<Q>) => Promise<Response>,
): Promise<Response> {
  const { prisma, userId, request } = input;
  try {
    const refusal = crossOriginRefusal(request);
    if (refusal) throw refusal;
    if (!userId) throw unauthenticated();
    const parsed = input.query.safeParse(Object.fromEntries(new URL(request.url).searchParams));
    if (!parsed.success) throw badRequest(input.usage);
    const { teamId } = parsed.data;
    const membership = await requireMembership(prisma, { teamId, userId, minRole: input.minRole });
    const user = await prisma.user.findUnique({ where: { id: userId }, select: { email: true } });
    if (!user) throw notFound("Team");
    return await handle({
      actor: { teamId, userId, email: user.email, role: membership.role },
      query: parsed.data,
    });
  } catch (error) {
    if (!isAppError(error)) input.logUnexpected?.(error);
    return errorResponse(error, { "cache-control": "no-store" });
  }
}

export const teamQuery = z.object({ teamId: z.string().max(64) });
