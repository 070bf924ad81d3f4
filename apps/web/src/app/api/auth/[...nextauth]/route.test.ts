// The NextAuth route with hostile callbackUrls: malformed ones answer 400 before NextAuth (whose
// default redirect check throws on them: a 500); other origins fall back to the home page.
import { beforeAll, describe, expect, it } from "vitest";

const BASE = "http://capstan.test";
let route: typeof import("./route");
let auth: typeof import("@/server/auth");

describe("/api/auth callbackUrl", () => {
  beforeAll(async () => {
    // The route's modules read the environment when first loaded; no query runs in these tests.
    process.env.DATABASE_URL ??= "postgresql://capstan:capstan@127.0.0.1:5432/capstan";
    process.env.NEXTAUTH_URL = BASE;
    route = await import("./route");
    auth = await import("@/server/auth");
  });
  const context = { params: Promise.resolve({ nextauth: ["signin", "credentials"] }) };

  it.each(["http://[", "/\\evil.example", "/\t/evil.example"])(
    "answers 400 for %j in the query",
    async (value) => {
      const response = await route.GET(
        new Request(`${BASE}/api/auth/signin?callbackUrl=${encodeURIComponent(value)}`),
        context,
      );
      expect(response.status).toBe(400);
      expect((await response.json()).error).toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringMatching(/^callbackUrl /),
      });
    },
  );

  it("answers 400 for a malformed callbackUrl in the sign-in form", async () => {
    const body = new URLSearchParams({ email: "a@example.test", password: "x", callbackUrl: "http://[" });
    const response = await route.POST(
      new Request(`${BASE}/api/auth/callback/credentials`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body,
      }),
      context,
    );
    expect(response.status).toBe(400);
  });

  it("redirects only within this origin (the cookie path too)", async () => {
    const redirect = auth.authOptions.callbacks!.redirect!;
    const to = (url: string) => redirect({ url, baseUrl: BASE });
    expect(await to("/t/acme")).toBe(`${BASE}/t/acme`);
    for (const hostile of [
      "https://evil.example/",
      "//evil.example",
      "/\\evil.example",
      "http://[",
      "foo\u0000",
    ])
      expect(await to(hostile)).toBe(BASE);
  });
});
