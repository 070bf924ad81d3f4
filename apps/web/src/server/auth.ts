import "server-only";
import { verifyCredentials } from "@capstan/core/auth/verify-credentials";
import { headers as requestHeaders } from "next/headers";
import { SESSION_MAX_AGE_SECONDS } from "@capstan/core/sessions/start-session";
import type { NextAuthOptions } from "next-auth";
import { getServerSession } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { resolveCallbackUrl } from "@/app/api/auth/callback-url";
import { env } from "@/env";
import { parseTrustedProxies, resolveClientAddress } from "./client-address";
import { prisma } from "./db";
import { getKeyring } from "./keyring";
import { logger } from "./logger";
import { allowOidcSignIn, OIDC_PROVIDER_ID, oidcProviders, passwordSignIn } from "./oidc";
import { PEER_ADDRESS_HEADER } from "./request-stamps";
import { signInFormError } from "./sign-in-form-error";
import { checkedSession, endTokenSession, type SignedInSession, startRequestSession } from "./sessions";

const trustedProxies = env.CAPSTAN_TRUSTED_PROXIES ? parseTrustedProxies(env.CAPSTAN_TRUSTED_PROXIES) : null;
let warnedNoPeer = false;

/** The client's address for throttling and audit (see client-address.ts); null when unknown. */
export function requestAddress(headers: Headers): string | null {
  const peer = headers.get(PEER_ADDRESS_HEADER);
  if (!peer && !warnedNoPeer) {
    warnedNoPeer = true;
    logger.warn("requests carry no peer address: per-address sign-in throttling is off");
  }
  return resolveClientAddress(peer, headers.get("x-forwarded-for"), trustedProxies);
}

// Sessions are JWTs that carry the user id and the id of a Session row (server/sessions.ts), which
// every request checks; roles are read from the database on every call.
export const authOptions: NextAuthOptions = {
  secret: env.NEXTAUTH_SECRET,
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
  pages: { signIn: "/signin", error: "/signin" },
  providers: [
    ...oidcProviders(),
    CredentialsProvider({
      name: "Email and password",
      credentials: {
        email: { label: "Email", type: "email" },
        password: { label: "Password", type: "password" },
        code: { label: "Two-factor code", type: "text" },
      },
      async authorize(credentials, req) {
        if (!credentials?.email || !credentials.password) return null;
        const headers = new Headers();
        for (const [name, value] of Object.entries(req?.headers ?? {}))
          if (typeof value === "string") headers.set(name, value);
        let user: Awaited<ReturnType<typeof verifyCredentials>>;
        try {
          user = await verifyCredentials(prisma, {
            email: credentials.email,
            password: credentials.password,
            address: requestAddress(headers),
            code: credentials.code || null,
            keyring: getKeyring(),
          });
        } catch (error) {
          throw signInFormError(error);
        }
        return user ? { id: user.id, email: user.email, name: user.name } : null;
      },
    }),
  ].filter((provider) => provider.id !== "credentials" || passwordSignIn),
  callbacks: {
    async signIn({ user, account, profile }) {
      if (account?.provider !== OIDC_PROVIDER_ID) return passwordSignIn;
      return allowOidcSignIn(user, account, profile, requestAddress(await requestHeaders()));
    },
    // NextAuth's default throws on a malformed URL (a 500); this one falls back to the home page.
    redirect({ url, baseUrl }) {
      return resolveCallbackUrl(url, baseUrl)?.href ?? baseUrl;
    },
    async jwt({ token, user }) {
      if (user)
        Object.assign(token, { sub: user.id, sid: await startRequestSession(user.id, requestAddress) });
      return token;
    },
    session({ session, token }) {
      if (session.user && token.sub) Object.assign(session.user, { id: token.sub, sessionId: token.sid });
      return session;
    },
  },
  events: { signOut: ({ token }) => endTokenSession(token) },
};

/** The signed-in user and session (JWT verified, session row live), or null. */
export async function getSignedInSession(): Promise<SignedInSession | null> {
  return checkedSession(await getServerSession(authOptions));
}

/** The signed-in user's id, or null. Authorisation happens elsewhere. */
export async function getSessionUserId(): Promise<string | null> {
  return (await getSignedInSession())?.userId ?? null;
}
