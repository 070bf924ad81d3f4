// tRPC set-up: context, error mapping and the procedure builders. Every procedure is built from
// exactly one of `publicProcedure`, `userProcedure` or `teamProcedure(minRole)`; the RBAC coverage
// test (rbac-coverage.test.ts) fails when a procedure outside its allow-list lacks `teamRbac`.

import { isAppError } from "@capstan/core/errors";
import { requireInstanceAdmin } from "@capstan/core/instance/require-instance-admin";
import type { Mailer } from "@capstan/core/mail/mailer";
import { requireMembership } from "@capstan/core/rbac/require-membership";
import type { TeamActor } from "@capstan/core/rbac/team-actor";
import type { Keyring } from "@capstan/core/secrets/keyring";
import type { PrismaClient, Role } from "@capstan/db";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";
import { INTERNAL_ERROR_MESSAGE, toTRPCError } from "../errors";

export interface TRPCContext {
  prisma: PrismaClient;
  /** From the verified session JWT; only an identity, never a role. */
  userId: string | null;
  /** The live Session row of that JWT (server/sessions.ts); the account page marks and keeps it. */
  sessionId?: string | null;
  ip?: string | null;
  /** Secrets keyring; tests pass one, the app falls back to server/keyring.ts when undefined. */
  keyring?: Keyring | null;
  /** Sends email; tests pass one, the app falls back to server/mailer.ts (CAPSTAN_SMTP_URL). */
  mailer?: Mailer | null;
  /** Outbound requests may reach loopback/private addresses; tests set it, the app reads env. */
  outboundAllowPrivate?: boolean;
}

interface ProcedureMeta {
  /** Minimum role for team procedures; read by `teamRbac`. */
  minRole?: Role;
}

const t = initTRPC
  .context<TRPCContext>()
  .meta<ProcedureMeta>()
  .create({
    transformer: superjson,
    errorFormatter({ shape, error }) {
      const appError = isAppError(error.cause) ? error.cause : null;
      const internal = error.code === "INTERNAL_SERVER_ERROR";
      return {
        ...shape,
        message: internal ? INTERNAL_ERROR_MESSAGE : shape.message,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          appCode: appError?.code ?? null,
          details: appError?.details ?? null,
          fieldErrors: error.cause instanceof z.ZodError ? z.flattenError(error.cause).fieldErrors : null,
        },
      };
    },
  });

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Domain code throws AppError; this turns it into the matching TRPCError for every procedure. */
const mapAppErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isAppError(result.error.cause)) throw toTRPCError(result.error.cause);
  return result;
});

/** No sign-in needed. Keep this set tiny and list each one in the RBAC coverage allow-list. */
export const publicProcedure = t.procedure.use(mapAppErrors);

/** Signed in; the user is re-read from the database so a deleted account stops working at once. */
export const userProcedure = publicProcedure.use(async ({ ctx, next }) => {
  if (!ctx.userId) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first." });
  const user = await ctx.prisma.user.findUnique({
    where: { id: ctx.userId },
    select: { id: true, email: true, name: true },
  });
  if (!user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Your session has ended. Sign in again." });
  return next({ ctx: { ...ctx, user } });
});

/**
 * The one team RBAC middleware: on every call it loads the caller's membership of `input.teamId`
 * from the database and checks the procedure's `meta.minRole`. Missing meta fails closed.
 */
const teamBuilder = userProcedure
  .input(z.object({ teamId: z.string().max(64) }))
  .use(async function teamRbac({ ctx, input, meta, next }) {
    const minRole = meta?.minRole;
    if (!minRole)
      throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "Procedure has no minimum role." });
    const membership = await requireMembership(ctx.prisma, {
      teamId: input.teamId,
      userId: ctx.user.id,
      minRole,
    });
    const actor: TeamActor = {
      teamId: membership.teamId,
      userId: ctx.user.id,
      email: ctx.user.email,
      role: membership.role,
    };
    return next({ ctx: { ...ctx, membership, actor } });
  });

/** The middleware function itself, so the coverage test can check procedures by identity. */
export const teamRbac = teamBuilder._def.middlewares.at(-1)!;

/** A procedure on one team's data: `input.teamId` is required and the caller needs `minRole`. */
export function teamProcedure(minRole: Role) {
  return teamBuilder.meta({ minRole });
}

/**
 * Instance administration (the /instance page): the caller's instanceAdmin flag is re-read from
 * the database on every call; anyone else gets NOT_FOUND, like a page that does not exist.
 */
export const instanceProcedure = userProcedure.use(async function instanceRbac({ ctx, next }) {
  const admin = await requireInstanceAdmin(ctx.prisma, ctx.user.id);
  return next({ ctx: { ...ctx, admin } });
});

/** The instance middleware itself, so the coverage test can check instance procedures by identity. */
export const instanceRbac = instanceProcedure._def.middlewares.at(-1)!;
