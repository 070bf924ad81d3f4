import "server-only";
import { verifyCredentials } from "@capstan/core/auth/verify-credentials";
import { headers as requestHeaders } from "next/headers";
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

// Sessions are JWTs that carry only the user id; roles are read from the database on every call.
export const authOptions: NextAuthOptions = {
  secret: env.NEXTAUTH_SECRET,
  session: { strategy: "jwt", maxAge: 7 * 24 * 3600 },
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
    jwt({ token, user }) {
      if (user) token.sub = user.id;
      return token;
    },
    session({ session, token }) {
      if (session.user && token.sub) (session.user as { id?: string }).id = token.sub;
      return session;
    },
  },
};

/** The signed-in user's id from the session JWT, or null. Authorisation happens elsewhere. */
export async function getSessionUserId(): Promise<string | null> {
  const session = await getServerSession(authOptions);
  return (session?.user as { id?: string } | undefined)?.id ?? null;
}
