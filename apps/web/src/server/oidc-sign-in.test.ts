// OIDC sign-in end to end: real Chromium, the production server and a real OpenID provider
// (oidc-provider) on loopback. Passwords are off on this instance, so the password form is gone
// and its endpoint refuses even the right password; identities link by verified email only; a
// groups claim becomes a team role; an ID token from another issuer and a callback carrying
// another sign-in's state are refused.
import { randomBytes, randomUUID } from "node:crypto";
import { hashPassword } from "@capstan/db/passwords";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { executable, requireComponents } from "@capstan/testkit";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestIdp, type TestIdp } from "../../test/oidc-idp";
import { ensureProductionBuild, freePort, type RunningServer, startNextServer } from "./agent/test-server";

const CHROMIUM = "/usr/bin/chromium";
const ok = requireComponents("web/oidc sign-in", await postgresAvailable(), executable(CHROMIUM));
const PASSWORD = "the owner's long password";

describe.skipIf(!ok)("OIDC sign-in", { timeout: 240_000 }, () => {
  let db: TestDatabase;
  let idp: TestIdp;
  let server: RunningServer;
  let browser: Browser;
  let owner: { id: string; email: string };
  let team: { id: string; slug: string };

  beforeAll(async () => {
    ensureProductionBuild();
    db = await createTestDatabase();
    team = await db.prisma.team.create({ data: { name: "Acme", slug: `acme-${randomUUID().slice(0, 8)}` } });
    owner = await db.prisma.user.create({
      data: {
        email: `owner-${randomUUID().slice(0, 8)}@example.test`,
        passwordHash: await hashPassword(PASSWORD),
      },
    });
    await db.prisma.membership.create({ data: { teamId: team.id, userId: owner.id, role: "OWNER" } });
    const port = await freePort();
    const clientId = "capstan-test";
    const clientSecret = randomBytes(24).toString("hex");
    idp = await startTestIdp({
      port: await freePort(),
      clientId,
      clientSecret,
      redirectUri: `http://127.0.0.1:${port}/api/auth/callback/oidc`,
    });
    server = await startNextServer({
      databaseUrl: db.url,
      port,
      env: {
        CAPSTAN_OIDC_ISSUER: idp.issuer,
        CAPSTAN_OIDC_CLIENT_ID: clientId,
        CAPSTAN_OIDC_CLIENT_SECRET: clientSecret,
        CAPSTAN_OIDC_GROUP_ROLES: `platform=${team.slug}:ADMIN,devs=${team.slug}:DEPLOYER`,
        CAPSTAN_PASSWORD_SIGNIN: "off",
      },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM });
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await idp?.close();
    await db?.drop();
  });

  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext();
    // A loaded CI machine (a CPU burner, the soak and another suite beside this one) is slow.
    context.setDefaultTimeout(60_000);
    // The IdP's pages import a web font; there is no internet here.
    await context.route(/^https:\/\/fonts\./, (route) => route.abort());
    return context;
  }

  /** From Capstan's sign-in page to the IdP's login form, as login `login`. */
  async function startSignIn(page: Page, login: string) {
    // The button is enabled once React has hydrated the page. On two loaded fresh-clone CI runs one
    // page load in six never hydrated (the button stayed disabled for 30 s, then 90 s) while the
    // next test's page did at once: the page is loaded again, as a person would, at most three
    // times, and what the browser saw goes into the error if it never works.
    const seen: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") seen.push(`console error: ${m.text()}`);
    });
    page.on("requestfailed", (r) => seen.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    const ready = page.getByRole("button", { name: "Sign in with single sign-on", disabled: false });
    for (let load = 1; ; load++) {
      await page.goto(`${server.url}/signin`);
      try {
        await ready.waitFor({ timeout: 25_000 });
        break;
      } catch (error) {
        if (load === 3)
          throw new Error(
            `the sign-in page did not hydrate in 3 loads; the browser saw:\n${seen.join("\n")}`,
            {
              cause: error,
            },
          );
      }
    }
    await ready.click();
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill("anything");
  }

  /** Submits the IdP's login and consent; returns where the browser ends up on Capstan. */
  async function finishSignIn(page: Page): Promise<URL> {
    await page.getByRole("button", { name: "Sign-in" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL((url) => url.origin === server.url && !url.pathname.startsWith("/api/auth/"));
    return new URL(page.url());
  }

  async function sessionUserId(context: BrowserContext): Promise<string | null> {
    const session = await (await context.request.get(`${server.url}/api/auth/session`)).json();
    return session?.user?.id ?? null;
  }

  async function signIn(login: string) {
    const context = await newContext();
    const page = await context.newPage();
    await startSignIn(page, login);
    const landed = await finishSignIn(page);
    const userId = await sessionUserId(context);
    await context.close();
    return { landed, userId };
  }

  it("shows no password form, and the password endpoint refuses even the right password", async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/signin`);
    await expect(page.getByRole("button", { name: "Sign in with single sign-on" }).isVisible()).resolves.toBe(
      true,
    );
    expect(await page.locator('input[type="password"]').count()).toBe(0);
    const { csrfToken } = await (await context.request.get(`${server.url}/api/auth/csrf`)).json();
    const response = await context.request.post(`${server.url}/api/auth/callback/credentials`, {
      form: { csrfToken, email: owner.email, password: PASSWORD, json: "true" },
      maxRedirects: 0,
    });
    expect(response.status()).toBe(403);
    expect((await response.json()).error.message).toMatch(
      /Password sign-in is turned off.*CAPSTAN_PASSWORD_SIGNIN=off/,
    );
    expect(await sessionUserId(context)).toBeNull();
    await context.close();
  });

  it("refuses to link an unverified email to the existing account", async () => {
    idp.accounts.set("impostor", { email: owner.email, email_verified: false, groups: ["platform"] });
    const { landed, userId } = await signIn("impostor");
    expect(landed.pathname).toBe("/signin");
    expect(landed.searchParams.get("error")).toBe("OidcUnverifiedEmail");
    expect(userId).toBeNull();
    expect(await db.prisma.account.count()).toBe(0);
    expect(await db.prisma.membership.findMany({ where: { teamId: team.id } })).toHaveLength(1);
  });

  it("links the existing user by a verified email", async () => {
    idp.accounts.set("owner", { email: owner.email.toUpperCase(), email_verified: true });
    const { landed, userId } = await signIn("owner");
    expect(landed.pathname).not.toBe("/signin");
    expect(userId).toBe(owner.id);
    expect(await db.prisma.account.findMany({ where: { userId: owner.id } })).toMatchObject([
      { provider: idp.issuer, providerAccountId: "owner" },
    ]);
  });

  it("creates a newcomer whose groups claim maps to a team role, and audits it", async () => {
    const email = `dev-${randomUUID().slice(0, 8)}@example.test`;
    idp.accounts.set("dev", { email, email_verified: true, name: "Dev", groups: ["devs", "unrelated"] });
    const { userId } = await signIn("dev");
    const user = await db.prisma.user.findUniqueOrThrow({ where: { email }, include: { memberships: true } });
    expect(userId).toBe(user.id);
    expect(user.memberships).toMatchObject([{ teamId: team.id, role: "DEPLOYER", oidcGroup: true }]);
    expect(
      await db.prisma.auditEvent.count({
        where: { teamId: team.id, kind: "member.joined", targetId: user.id },
      }),
    ).toBe(1);

    // Promoted at the IdP: the next sign-in raises the role.
    idp.accounts.set("dev", { email, email_verified: true, groups: ["platform"] });
    await signIn("dev");
    expect(await db.prisma.membership.findMany({ where: { userId: user.id } })).toMatchObject([
      { role: "ADMIN" },
    ]);
  });

  it("refuses an ID token from another issuer than the configured one", async () => {
    idp.wrongIssuer(true);
    try {
      const { landed, userId } = await signIn("owner");
      expect(landed.pathname).toBe("/signin");
      expect(landed.searchParams.get("error")).toBe("OAuthCallback");
      expect(userId).toBeNull();
    } finally {
      idp.wrongIssuer(false);
    }
  });

  it("refuses a callback whose state belongs to another sign-in (login CSRF)", async () => {
    // The attacker starts a sign-in of their own and keeps its state cookie ...
    const attacker = await newContext();
    await startSignIn(await attacker.newPage(), "owner");
    const stateCookie = (await attacker.cookies(server.url)).find((c) => c.name.endsWith("next-auth.state"));
    expect(stateCookie).toBeDefined();
    // ... the victim's browser carries it while its own callback comes back.
    const victim = await newContext();
    const page = await victim.newPage();
    await startSignIn(page, "owner");
    await victim.addCookies([{ ...stateCookie!, sameSite: stateCookie!.sameSite }]);
    const landed = await finishSignIn(page);
    expect(landed.pathname).toBe("/signin");
    expect(landed.searchParams.get("error")).toBe("OAuthCallback");
    expect(await sessionUserId(victim)).toBeNull();
    await attacker.close();
    await victim.close();
  });
});
