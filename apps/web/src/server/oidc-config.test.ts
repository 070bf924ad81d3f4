// The start-up check of CAPSTAN_OIDC_*: each bad combination stops the server with a message
// that names the variable to fix.
import { describe, expect, it } from "vitest";
import { resolveOidcConfig } from "./oidc-config";

const client = { CAPSTAN_OIDC_CLIENT_ID: "capstan", CAPSTAN_OIDC_CLIENT_SECRET: "s3cret" };

describe("resolveOidcConfig", () => {
  it("is off without variables, and refuses passwords off or a mapping without OIDC", () => {
    expect(resolveOidcConfig({})).toBeNull();
    expect(resolveOidcConfig({ CAPSTAN_PASSWORD_SIGNIN: "on" })).toBeNull();
    expect(() => resolveOidcConfig({ CAPSTAN_PASSWORD_SIGNIN: "off" })).toThrow(/nobody could sign in/);
    expect(() => resolveOidcConfig({ CAPSTAN_OIDC_GROUP_ROLES: "a=b:ADMIN" })).toThrow(/OIDC is not/);
  });

  it("needs the client id and secret, and an issuer for the generic preset", () => {
    expect(() =>
      resolveOidcConfig({ CAPSTAN_OIDC_CLIENT_ID: "x", CAPSTAN_OIDC_ISSUER: "https://idp.test" }),
    ).toThrow(/both CAPSTAN_OIDC_CLIENT_ID and CAPSTAN_OIDC_CLIENT_SECRET/);
    expect(() => resolveOidcConfig(client)).toThrow(/CAPSTAN_OIDC_ISSUER is missing/);
    expect(
      resolveOidcConfig({ ...client, CAPSTAN_OIDC_ISSUER: "https://idp.test/realms/acme/" }),
    ).toMatchObject({
      preset: "generic",
      issuer: "https://idp.test/realms/acme",
      label: "single sign-on",
      groupRoles: [],
    });
  });

  it("fills presets in, and refuses what a preset cannot do", () => {
    expect(resolveOidcConfig({ ...client, CAPSTAN_OIDC_PRESET: "google" })).toMatchObject({
      issuer: "https://accounts.google.com",
      label: "Google",
    });
    expect(
      resolveOidcConfig({
        ...client,
        CAPSTAN_OIDC_PRESET: "gitlab",
        CAPSTAN_OIDC_ISSUER: "https://gitlab.example.com",
        CAPSTAN_OIDC_GROUP_ROLES: "ops=acme:ADMIN",
      }),
    ).toMatchObject({
      issuer: "https://gitlab.example.com",
      groupRoles: [{ group: "ops", teamSlug: "acme", role: "ADMIN" }],
    });
    expect(() =>
      resolveOidcConfig({ ...client, CAPSTAN_OIDC_PRESET: "github", CAPSTAN_OIDC_ISSUER: "https://x.test" }),
    ).toThrow(/not used with CAPSTAN_OIDC_PRESET=github/);
    expect(() =>
      resolveOidcConfig({
        ...client,
        CAPSTAN_OIDC_PRESET: "google",
        CAPSTAN_OIDC_GROUP_ROLES: "ops=acme:ADMIN",
      }),
    ).toThrow(/sends no groups claim/);
    expect(() =>
      resolveOidcConfig({
        ...client,
        CAPSTAN_OIDC_ISSUER: "https://idp.test",
        CAPSTAN_OIDC_GROUP_ROLES: "ops=acme:OWNER",
      }),
    ).toThrow(/^CAPSTAN_OIDC_GROUP_ROLES: .*OWNER is never granted/);
  });
});
