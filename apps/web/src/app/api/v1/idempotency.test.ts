// The attack: an Idempotency-Key reused for a request that resolves to another revision must not
// replay the first deployment as if it were the answer (a CI job would report the wrong revision
// as deployed), nor make a second deployment. Both orders of "by number" and "by YAML", and a
// `latest` that moved on, answer 409. Through the public API route handlers on PostgreSQL.
import { createTestHost, createTestTeam, uniqueName } from "@capstan/core/deployments/test-fixtures";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokens, type TokenSet, workflowYaml } from "../../../../test/api-fixtures";

const ok = requireComponents("web/idempotency", await postgresAvailable());

describe.skipIf(!ok)("an Idempotency-Key names one deployment of one revision", () => {
  let db: TestDatabase;
  let dispatch: (request: Request) => Promise<Response>;
  let tokens: TokenSet;
  let name: string;
  let hostName: string;
  /** YAML for revision n of the test's workflow (each n a different image tag, so another hash). */
  const yaml = (n: number) => workflowYaml(name, hostName, `capstan-busybox:v${n}`);

  const deploy = async (body: Record<string, unknown>, key?: string) => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${tokens.ADMIN}`,
      "content-type": "application/json",
    };
    if (key) headers["idempotency-key"] = key;
    const response = await dispatch(
      new Request("http://capstan.test/api/v1/deployments?wait=0", {
        method: "POST",
        headers,
        body: JSON.stringify(body),
      }),
    );
    return { status: response.status, body: await response.json() };
  };
  const deploymentsOf = () => db.prisma.deployment.count({ where: { workflow: { name } } });
  const newKey = () => `ci-${uniqueName("key")}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    dispatch = await (await import("../../../../test/api-dispatch")).loadPublicApiRoutes();
    const teamId = (await createTestTeam(db.prisma)).id;
    tokens = await createTokens(db.prisma, teamId);
    hostName = (await createTestHost(db.prisma, teamId, uniqueName("idem"))).name;
    name = uniqueName("idem");
    expect((await deploy({ yaml: yaml(1) })).status).toBe(202);
    expect((await deploy({ yaml: yaml(2) })).status).toBe(202);
  });
  afterAll(async () => {
    await db?.drop();
  });

  const refused = { status: 409, body: { error: { code: "CONFLICT" } } };

  it("refuses revision 2 under a key used for revision 1", async () => {
    const key = newKey();
    expect(await deploy({ workflow: name, revision: 1 }, key)).toMatchObject({ status: 202 });
    const before = await deploymentsOf();
    expect(await deploy({ workflow: name, revision: 2 }, key)).toMatchObject(refused);
    expect(await deploy({ workflow: name, revision: 1 }, key)).toMatchObject({ status: 202 });
    expect(await deploymentsOf()).toBe(before);
  });

  it("refuses a revision number under a key used for YAML that resolved to another revision", async () => {
    const key = newKey();
    const first = await deploy({ yaml: yaml(2) }, key);
    expect(first).toMatchObject({ status: 202, body: { revision: { number: 2 } } });
    const before = await deploymentsOf();
    expect(await deploy({ workflow: name, revision: 1 }, key)).toMatchObject(refused);
    expect(await deploymentsOf()).toBe(before);
  });

  it("refuses YAML that resolves to another revision under a key used for a revision number", async () => {
    const key = newKey();
    expect(await deploy({ workflow: name, revision: 1 }, key)).toMatchObject({ status: 202 });
    const before = await deploymentsOf();
    const revisions = await db.prisma.revision.count({ where: { workflow: { name } } });
    // The latest revision's YAML: it resolves to revision 2 without saving anything.
    expect(await deploy({ yaml: yaml(2) }, key)).toMatchObject(refused);
    // YAML that would make a new revision is refused before it saves one.
    expect(await deploy({ yaml: yaml(9) }, key)).toMatchObject(refused);
    expect(await deploymentsOf()).toBe(before);
    expect(await db.prisma.revision.count({ where: { workflow: { name } } })).toBe(revisions);
  });

  it("refuses `latest` under a key used when latest was another revision", async () => {
    const key = newKey();
    const first = await deploy({ workflow: name, revision: "latest" }, key);
    expect(first).toMatchObject({ status: 202 });
    expect(await deploy({ workflow: name }, key)).toMatchObject({ status: 202, body: { id: first.body.id } });
    expect((await deploy({ yaml: yaml(3) })).status).toBe(202);
    const before = await deploymentsOf();
    expect(await deploy({ workflow: name, revision: "latest" }, key)).toMatchObject(refused);
    expect(await deploy({ workflow: name }, key)).toMatchObject(refused);
    expect(await deploymentsOf()).toBe(before);
  });
});
