// Which identity provider sign-in uses, from CAPSTAN_OIDC_* (env.ts validates it at start-up).
// The environment, not the dashboard: the sign-in configuration decides who can reach the
// dashboard at all, so an admin (or a stolen admin session) must not be able to point it at an
// IdP of their own; changing it takes a restart by someone who runs the server.
import { type OidcGroupRole, parseOidcGroupRoles } from "@capstan/core/auth/parse-oidc-group-roles";

export const OIDC_PRESETS = ["generic", "github", "gitlab", "google"] as const;
type OidcPreset = (typeof OIDC_PRESETS)[number];

export interface OidcVariables {
  CAPSTAN_OIDC_PRESET?: OidcPreset;
  CAPSTAN_OIDC_ISSUER?: string;
  CAPSTAN_OIDC_CLIENT_ID?: string;
  CAPSTAN_OIDC_CLIENT_SECRET?: string;
  CAPSTAN_OIDC_GROUP_ROLES?: string;
  CAPSTAN_PASSWORD_SIGNIN?: "on" | "off";
}

export interface OidcConfig {
  preset: OidcPreset;
  /** Pinned: an ID token from any other issuer is refused. Unused for GitHub (OAuth 2 only). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The sign-in button: "Sign in with <label>". */
  label: string;
  groupRoles: OidcGroupRole[];
}

const PRESETS: Record<OidcPreset, { issuer?: string; label: string; groups: boolean }> = {
  generic: { label: "single sign-on", groups: true },
  gitlab: { issuer: "https://gitlab.com", label: "GitLab", groups: true },
  google: { issuer: "https://accounts.google.com", label: "Google", groups: false },
  github: { issuer: "https://github.com/login/oauth", label: "GitHub", groups: false },
};

/** The issuer as the `iss` claim compares: without a trailing slash. */
export function normalizeIssuer(issuer: string): string {
  return issuer.replace(/\/+$/, "");
}

/** The OIDC configuration, or null when none is set. Throws an Error that says what to fix. */
export function resolveOidcConfig(vars: OidcVariables): OidcConfig | null {
  const { CAPSTAN_OIDC_CLIENT_ID: clientId, CAPSTAN_OIDC_CLIENT_SECRET: clientSecret } = vars;
  const anySet = Boolean(vars.CAPSTAN_OIDC_PRESET || vars.CAPSTAN_OIDC_ISSUER || clientId || clientSecret);
  if (!anySet) {
    if (vars.CAPSTAN_OIDC_GROUP_ROLES)
      throw new Error(
        "CAPSTAN_OIDC_GROUP_ROLES is set but OIDC is not: set CAPSTAN_OIDC_CLIENT_ID and the rest.",
      );
    if (vars.CAPSTAN_PASSWORD_SIGNIN === "off")
      throw new Error(
        "CAPSTAN_PASSWORD_SIGNIN=off needs OIDC sign-in (CAPSTAN_OIDC_CLIENT_ID, CAPSTAN_OIDC_CLIENT_SECRET, ...), or nobody could sign in.",
      );
    return null;
  }
  if (!clientId || !clientSecret)
    throw new Error(
      "OIDC sign-in needs both CAPSTAN_OIDC_CLIENT_ID and CAPSTAN_OIDC_CLIENT_SECRET (from the application you registered at your identity provider).",
    );
  const presetName = vars.CAPSTAN_OIDC_PRESET ?? "generic";
  const preset = PRESETS[presetName];
  if (presetName === "github" && vars.CAPSTAN_OIDC_ISSUER)
    throw new Error(
      "CAPSTAN_OIDC_ISSUER is not used with CAPSTAN_OIDC_PRESET=github (GitHub is OAuth 2, not OIDC): unset it.",
    );
  const issuer = vars.CAPSTAN_OIDC_ISSUER ?? preset.issuer;
  if (!issuer)
    throw new Error(
      "CAPSTAN_OIDC_ISSUER is missing: set it to your identity provider's issuer URL (its /.well-known/openid-configuration is read from there).",
    );
  let groupRoles: OidcGroupRole[];
  try {
    groupRoles = parseOidcGroupRoles(vars.CAPSTAN_OIDC_GROUP_ROLES);
  } catch (error) {
    throw new Error(`CAPSTAN_OIDC_GROUP_ROLES: ${(error as Error).message}`);
  }
  if (groupRoles.length > 0 && !preset.groups)
    throw new Error(
      `CAPSTAN_OIDC_GROUP_ROLES cannot be used with CAPSTAN_OIDC_PRESET=${presetName}: it sends no groups claim.`,
    );
  return {
    preset: presetName,
    issuer: normalizeIssuer(issuer),
    clientId,
    clientSecret,
    label: preset.label,
    groupRoles,
  };
}
