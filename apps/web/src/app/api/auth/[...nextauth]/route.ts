import { badRequest, forbidden } from "@capstan/core/errors";
import NextAuth from "next-auth";
import { env } from "@/env";
import { authOptions } from "@/server/auth";
import { errorResponse } from "@/server/errors";
import { passwordSignIn } from "@/server/oidc";
import { callbackUrlProblem } from "../callback-url";

const nextAuth = NextAuth(authOptions);

/** The callbackUrl a sign-in request carries (query, or the form NextAuth's client posts). */
async function givenCallbackUrl(request: Request): Promise<string | null> {
  const inQuery = new URL(request.url).searchParams.get("callbackUrl");
  if (inQuery !== null) return inQuery;
  const type = request.headers.get("content-type") ?? "";
  if (request.method !== "POST" || !type.startsWith("application/x-www-form-urlencoded")) return null;
  const value = (await request.clone().formData()).get("callbackUrl");
  return typeof value === "string" ? value : null;
}

/**
 * A malformed callbackUrl answers 400 here (NextAuth would throw: a 500). One on another origin
 * goes on to NextAuth, whose redirect callback (server/auth.ts) replaces it with the home page.
 */
async function handler(request: Request, context: { params: Promise<{ nextauth: string[] }> }) {
  // NextAuth has no credentials provider then; this says so plainly instead of its redirect.
  if (!passwordSignIn && new URL(request.url).pathname.endsWith("/callback/credentials")) {
    return errorResponse(
      forbidden(
        "Password sign-in is turned off on this instance (CAPSTAN_PASSWORD_SIGNIN=off): use single sign-on.",
      ),
    );
  }
  const callbackUrl = await givenCallbackUrl(request);
  const baseUrl = env.NEXTAUTH_URL ?? env.CAPSTAN_PUBLIC_URL ?? new URL(request.url).origin;
  const problem = callbackUrl === null ? null : callbackUrlProblem(callbackUrl, baseUrl);
  if (problem) return errorResponse(badRequest(problem), { "cache-control": "no-store" });
  return nextAuth(request, context);
}

export { handler as GET, handler as POST };
