// OIDC sign-in for NextAuth: the provider built from the configuration (server/oidc-config.ts)
// and the sign-in callback that turns an IdP identity into a Capstan user (core signInWithOidc).
import "server-only";
import { type OidcRefusal, signInWithOidc } from "@capstan/core/auth/sign-in-with-oidc";
import type { Account, Profile, User } from "next-auth";
import type { OAuthConfig } from "next-auth/providers/oauth";
import { env, oidcConfig } from "@/env";
import { prisma } from "./db";
import { normalizeIssuer, type OidcConfig } from "./oidc-config";

/** NextAuth's provider id: the callback URL to register is <public URL>/api/auth/callback/oidc. */
export const OIDC_PROVIDER_ID = "oidc";

type Claims = Record<string, unknown>;

const asString = (value: unknown) => (typeof value === "string" && value !== "" ? value : null);

/** CAPSTAN_PASSWORD_SIGNIN=off: no credentials provider, so no password is ever checked. */
export const passwordSignIn = env.CAPSTAN_PASSWORD_SIGNIN !== "off";

/** The sign-in button's text, or null when OIDC is off. */
export function oidcButtonLabel(): string | null {
  return oidcConfig ? `Sign in with ${oidcConfig.label}` : null;
}

/**
 * OIDC (authorization code with PKCE, state and nonce). The ID token is checked by openid-client
 * against the discovered issuer and then pinned to the configured one, so a discovery document
 * that names another issuer is refused; userinfo adds claims (email, groups) that IdPs often
 * leave out of the ID token.
 */
function oidcProvider(config: OidcConfig): OAuthConfig<Claims> {
  return {
    id: OIDC_PROVIDER_ID,
    name: config.label,
    type: "oauth",
    wellKnown: `${config.issuer}/.well-known/openid-configuration`,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    authorization: { params: { scope: `openid email profile${config.groupRoles.length ? " groups" : ""}` } },
    checks: ["pkce", "state", "nonce"],
    idToken: true,
    userinfo: {
      async request({ client, tokens }) {
        // NextAuth passes openid-client's TokenSet here (its type says only the parameters).
        const tokenSet = tokens as Extract<Parameters<typeof client.userinfo>[0], { claims: unknown }>;
        const idClaims = tokenSet.claims();
        if (normalizeIssuer(String(idClaims.iss)) !== config.issuer)
          throw new Error(`ID token issuer ${String(idClaims.iss)} is not the configured ${config.issuer}`);
        // openid-client checks that the userinfo `sub` is the ID token's.
        const info = tokenSet.access_token ? await client.userinfo(tokenSet) : undefined;
        return {
          ...info,
          ...idClaims,
          email: info?.email ?? idClaims.email,
          email_verified: info?.email_verified ?? idClaims.email_verified,
        };
      },
    },
    profile: (claims) => ({
      id: String(claims.sub),
      name: asString(claims.name),
      email: asString(claims.email),
    }),
  };
}

/**
 * GitHub is OAuth 2 without ID tokens: the identity is the numeric user id and the email is the
 * primary address from /user/emails, verified only when GitHub says so.
 */
function githubProvider(config: OidcConfig): OAuthConfig<Claims> {
  return {
    id: OIDC_PROVIDER_ID,
    name: config.label,
    type: "oauth",
    issuer: config.issuer,
    authorization: {
      url: "https://github.com/login/oauth/authorize",
      params: { scope: "read:user user:email" },
    },
    token: "https://github.com/login/oauth/access_token",
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    checks: ["state"],
    userinfo: {
      url: "https://api.github.com/user",
      async request({ tokens }) {
        const get = async (path: string) => {
          const response = await fetch(`https://api.github.com${path}`, {
            headers: {
              authorization: `Bearer ${tokens.access_token}`,
              accept: "application/vnd.github+json",
            },
          });
          if (!response.ok) throw new Error(`GitHub ${path} answered ${response.status}`);
          return response.json();
        };
        const user = (await get("/user")) as Claims;
        const emails = (await get("/user/emails")) as {
          email: string;
          primary: boolean;
          verified: boolean;
        }[];
        const primary = emails.find((e) => e.primary);
        return {
          ...user,
          sub: String(user.id),
          email: primary?.email,
          email_verified: primary?.verified === true,
        };
      },
    },
    profile: (claims) => ({
      id: String(claims.sub),
      name: asString(claims.name) ?? asString(claims.login),
      email: asString(claims.email),
    }),
  };
}

export function oidcProviders(): OAuthConfig<Claims>[] {
  if (!oidcConfig) return [];
  return [oidcConfig.preset === "github" ? githubProvider(oidcConfig) : oidcProvider(oidcConfig)];
}

const REFUSAL_CODES: Record<OidcRefusal, string> = {
  no_email: "OidcNoEmail",
  unverified_email: "OidcUnverifiedEmail",
  no_team: "OidcNoTeam",
};

/**
 * NextAuth's signIn callback for the OIDC provider: true with `user.id` set to the Capstan user
 * (NextAuth without an adapter hands this same object to the jwt callback), or the sign-in page
 * with an error code that says why not.
 */
export async function allowOidcSignIn(
  user: User,
  account: Account,
  profile: Profile | undefined,
  address: string | null,
) {
  if (!oidcConfig) return false;
  const claims = (profile ?? {}) as Claims;
  const groups = Array.isArray(claims.groups)
    ? claims.groups.filter((g): g is string => typeof g === "string")
    : null;
  const result = await signInWithOidc(prisma, {
    // The issuer, not "oidc": a `sub` is unique per issuer only, so after a switch to another
    // IdP its subjects can never land on the old IdP's links.
    provider: oidcConfig.issuer,
    subject: account.providerAccountId,
    email: asString(claims.email),
    emailVerified: claims.email_verified,
    name: asString(claims.name),
    groups,
    mapping: oidcConfig.groupRoles,
    address,
  });
  if (!result.ok) return `/signin?error=${REFUSAL_CODES[result.reason]}`;
  user.id = result.userId;
  return true;
}
