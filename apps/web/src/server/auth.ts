import "server-only";
import { verifyCredentials } from "@capstan/core/auth/verify-credentials";
import { isAppError } from "@capstan/core/errors";
import type { NextAuthOptions } from "next-auth";
import { getServerSession } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { env } from "@/env";
import { prisma } from "./db";

// Sessions are JWTs that carry only the user id; roles are read from the database on every call.
export const authOptions: NextAuthOptions = {
  secret: env.NEXTAUTH_SECRET,
  session: { strategy: "jwt", maxAge: 7 * 24 * 3600 },
  pages: { signIn: "/signin", error: "/signin" },
  providers: [
    CredentialsProvider({
      name: "Email and password",
      credentials: {
        email: { label: "Email", type: "email" },
        password: { label: "Password", type: "password" },
      },
      async authorize(credentials, req) {
        if (!credentials?.email || !credentials.password) return null;
        const forwarded = req?.headers?.["x-forwarded-for"];
        const ip = typeof forwarded === "string" ? (forwarded.split(",")[0]?.trim() ?? null) : null;
        let user: Awaited<ReturnType<typeof verifyCredentials>>;
        try {
          user = await verifyCredentials(prisma, {
            email: credentials.email,
            password: credentials.password,
            ip,
          });
        } catch (error) {
          // NextAuth passes a thrown message to the sign-in form as `error`.
          if (isAppError(error) && error.code === "RATE_LIMITED") throw new Error(error.message);
          throw error;
        }
        return user ? { id: user.id, email: user.email, name: user.name } : null;
      },
    }),
  ],
  callbacks: {
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
