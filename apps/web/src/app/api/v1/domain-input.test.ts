// Bad domain input through the real public API route (POST /api/v1/deployments) and the tRPC
// workflow procedures: an invalid host name, a path that escapes, a port out of range, a header
// value with CR/LF and a name another workflow routes on the host each answer 422 naming the
// field, and nothing is saved. A document wrong elsewhere still answers 400.
import { randomBytes } from "node:crypto";
import { createTestHost, createTestTeam, uniqueName } from "@capstan/core/deployments/test-fixtures";
import { parseKeyring } from "@capstan/core/secrets/keyring";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestMember } from "../../../../../../packages/core/test/fixtures";
import { createTokens, type TokenSet } from "../../../../test/api-fixtures";
import { trpcOutcome } from "../../../../test/trpc-code";

const ok = requireComponents("web/domain input", await postgresAvailable());
const BASE = "http://capstan.test";

const yaml = (name: string, host: string, domains: string) => `name: ${name}
targets: { hosts: [${host}] }
services:
  web:
    compose:
      inline:
        services:
          app: { image: capstan-busybox:test }
    domains: ${domains}
`;

const bad: { what: string; domains: string; field: string }[] = [
  {
    what: "an invalid host name",
    domains: "[{ host: 'bad_name..example', port: 80 }]",
    field: "services.web.domains[0].host",
  },
  {
    what: "a path that escapes",
    domains: "[{ host: a.example.com, path: /api/../etc, port: 80 }]",
    field: "services.web.domains[0].path",
  },
  {
    what: "a port out of range",
    domains: "[{ host: a.example.com, port: 70000 }]",
    field: "services.web.domains[0].port",
  },
  {
    what: "a header with CR/LF",
    domains: `[{ host: a.example.com, port: 80, headers: { X-Test: "ok\\r\\nSet-Cookie: evil=1" } }]`,
    field: "services.web.domains[0].headers",
  },
];

describe.skipIf(!ok)("bad domain input answers 422 naming the field", () => {
  let db: TestDatabase;
  let dispatch: (request: Request) => Promise<Response>;
  let teamId: string;
  let tokens: TokenSet;
  let hostName: string;
  let adminUserId: string;
  let createCaller: typeof import("@/server/trpc/root").createCaller;
  const keyring = parseKeyring(randomBytes(32).toString("base64"));

  const deploy = async (source: string) => {
    const response = await dispatch(
      new Request(`${BASE}/api/v1/deployments?wait=0`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokens.ADMIN}`, "content-type": "application/json" },
        body: JSON.stringify({ yaml: source }),
      }),
    );
    return { status: response.status, body: (await response.json()) as { error: { message: string } } };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    // Imported only now: the app's env module reads DATABASE_URL when first loaded.
    dispatch = await (await import("../../../../test/api-dispatch")).loadPublicApiRoutes();
    createCaller = (await import("@/server/trpc/root")).createCaller;
    teamId = (await createTestTeam(db.prisma)).id;
    tokens = await createTokens(db.prisma, teamId);
    hostName = (await createTestHost(db.prisma, teamId, uniqueName("dom"))).name;
    adminUserId = (await createTestMember(db.prisma, teamId, "ADMIN")).user.id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it.each(bad)("$what: 422 through the public API and tRPC", async ({ domains, field }) => {
    const name = uniqueName("bad");
    const source = yaml(name, hostName, domains);
    const api = await deploy(source);
    expect(api.status).toBe(422);
    expect(api.body.error.message).toContain(`${field}`);

    const trpc = createCaller({ prisma: db.prisma, userId: adminUserId, keyring }).workflows;
    expect(await trpcOutcome(trpc.create({ teamId, source }))).toMatch(
      new RegExp(`^UNPROCESSABLE_CONTENT: .*${field.replace(/[.[\]]/g, "\\$&")}`),
    );
    const check = await trpc.check({ teamId, source });
    expect(check.ok).toBe(false);
    expect(await db.prisma.workflow.count({ where: { name } })).toBe(0);
  });

  it("a name another workflow routes on the host: 422 naming the field and the other workflow", async () => {
    const first = uniqueName("shop");
    expect((await deploy(yaml(first, hostName, "[{ host: shop.example.com, port: 80 }]"))).status).toBe(202);
    const second = uniqueName("blog");
    const clash = await deploy(yaml(second, hostName, "[{ host: shop.example.com, port: 80 }]"));
    expect(clash.status).toBe(422);
    expect(clash.body.error.message).toContain("services.web.domains[0].host");
    expect(clash.body.error.message).toContain(first);
    expect(await db.prisma.workflow.count({ where: { name: second } })).toBe(0);
  });

  it("a document wrong outside its domains still answers 400, even with a bad domain too", async () => {
    const name = uniqueName("mixed");
    const source = yaml(name, hostName, "[{ host: a.example.com, port: 70000 }]").replace(
      "targets:",
      "unknownKey: 1\ntargets:",
    );
    const api = await deploy(source);
    expect(api.status).toBe(400);
    expect(api.body.error.message).toContain("unknownKey");
  });
});
