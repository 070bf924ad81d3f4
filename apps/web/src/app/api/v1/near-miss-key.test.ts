// A near-miss key answers with the key that was meant, through the real public API route
// (POST /api/v1/deployments) and the dashboard's tRPC check, on real PostgreSQL: the document is
// invalid (400, "fix the document"), the message says "did you mean", and nothing is saved.
import { randomBytes } from "node:crypto";
import { createTestHost, createTestTeam, uniqueName } from "@capstan/core/deployments/test-fixtures";
import { parseKeyring } from "@capstan/core/secrets/keyring";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestMember } from "../../../../../../packages/core/test/fixtures";
import { createTokens, type TokenSet } from "../../../../test/api-fixtures";

const ok = requireComponents("web/near-miss keys", await postgresAvailable());
const BASE = "http://capstan.test";

const yaml = (name: string, host: string) => `name: ${name}
targets: { hosts: [${host}] }
services:
  web:
    compose:
      inline:
        services:
          app:
            image: capstan-busybox:test
            dependsOn: [db]
          db: { image: capstan-busybox:test }
    healthcheck:
      - tcp: { port: 8080 }
`;

describe.skipIf(!ok)("a near-miss key is answered with the key that was meant", () => {
  let db: TestDatabase;
  let dispatch: (request: Request) => Promise<Response>;
  let teamId: string;
  let tokens: TokenSet;
  let hostName: string;
  let adminUserId: string;
  let createCaller: typeof import("@/server/trpc/root").createCaller;
  const keyring = parseKeyring(randomBytes(32).toString("base64"));

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    // Imported only now: the app's env module reads DATABASE_URL when first loaded.
    dispatch = await (await import("../../../../test/api-dispatch")).loadPublicApiRoutes();
    createCaller = (await import("@/server/trpc/root")).createCaller;
    teamId = (await createTestTeam(db.prisma)).id;
    tokens = await createTokens(db.prisma, teamId);
    hostName = (await createTestHost(db.prisma, teamId, uniqueName("near"))).name;
    adminUserId = (await createTestMember(db.prisma, teamId, "ADMIN")).user.id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("the public API: 400 with the suggestion in the message and in each issue", async () => {
    const name = uniqueName("near");
    const response = await dispatch(
      new Request(`${BASE}/api/v1/deployments?wait=0`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokens.ADMIN}`, "content-type": "application/json" },
        body: JSON.stringify({ yaml: yaml(name, hostName) }),
      }),
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as {
      error: { message: string; details?: { issues?: { text: string }[] } };
    };
    expect(body.error.message).toContain(
      "services.web.healthcheck: unknown key; did you mean `healthChecks`? (line 12)",
    );
    expect(body.error.details?.issues?.map((i) => i.text)).toContain(
      "services.web.healthcheck: unknown key; did you mean `healthChecks`? (line 12)",
    );
    expect(await db.prisma.workflow.count({ where: { name } })).toBe(0);
  });

  it("the dashboard's check: the workflow key and the Compose key, each with its suggestion", async () => {
    const trpc = createCaller({ prisma: db.prisma, userId: adminUserId, keyring }).workflows;
    const fixed = yaml(uniqueName("near"), hostName).replace("healthcheck:", "healthChecks:");
    const check = await trpc.check({ teamId, source: fixed });
    expect(check.ok).toBe(false);
    expect(check.issues.map((i) => i.text)).toEqual([
      "services.web.compose.inline.services.app.dependsOn: is not a Compose key (unknown key); did you mean `depends_on`? (line 10)",
    ]);
  });
});
