// The workflow export route's logic on real PostgreSQL: any member downloads a .tar.gz of a
// revision; no session is 401; another team's workflow and a non-member answer 404 like missing.
import { gunzipSync } from "node:zlib";
import { createWorkflow } from "@capstan/core/workflows/create-workflow";
import { saveRevision } from "@capstan/core/workflows/save-revision";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestMember,
  createTestTeam,
  createTestUser,
  postgresComponent,
} from "../../../../../../../../packages/core/test/fixtures";
import { HOSTILE_ORIGIN_HEADERS } from "../../../../../../test/cross-origin-fixtures";
import { handleWorkflowExport } from "./handle-workflow-export";

const ok = requireComponents("web workflow export route", await postgresComponent());
const yaml = (name: string, image: string) =>
  `name: ${name}\ntargets: { hosts: [web-1] }\nservices:\n  web:\n    compose: { inline: { services: { web: { image: "${image}" } } } }\n`;

describe.skipIf(!ok)("GET /api/workflows/:id/export", () => {
  let db: TestDatabase;
  let teamId: string;
  let otherTeamId: string;
  let viewerId: string;
  let outsiderId: string;
  let workflowId: string;
  let otherWorkflowId: string;
  const get = (userId: string | null, id: string, query: string, headers?: HeadersInit) =>
    handleWorkflowExport(
      db.prisma,
      userId,
      id,
      new Request(`http://127.0.0.1/api/workflows/${id}/export?${query}`, { headers }),
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma, "Main")).id;
    otherTeamId = (await createTestTeam(db.prisma, "Other")).id;
    const admin = (await createTestMember(db.prisma, teamId, "ADMIN")).actor;
    viewerId = (await createTestMember(db.prisma, teamId, "VIEWER")).user.id;
    outsiderId = (await createTestUser(db.prisma, "outsider")).id;
    workflowId = (await createWorkflow(db.prisma, admin, { source: yaml("shop", "img:one") })).id;
    await saveRevision(db.prisma, admin, { workflowId, source: yaml("shop", "img:two") });
    const otherAdmin = (await createTestMember(db.prisma, otherTeamId, "ADMIN")).actor;
    otherWorkflowId = (await createWorkflow(db.prisma, otherAdmin, { source: yaml("theirs", "img:x") })).id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("downloads the latest or a chosen revision as a .tar.gz", async () => {
    const latest = await get(viewerId, workflowId, `teamId=${teamId}`);
    expect(latest.status).toBe(200);
    expect(latest.headers.get("content-type")).toBe("application/gzip");
    expect(latest.headers.get("content-disposition")).toBe('attachment; filename="shop-r2.tar.gz"');
    const tar = gunzipSync(Buffer.from(await latest.arrayBuffer())).toString("latin1");
    expect(tar).toContain("shop-r2/compose/web/compose.yaml");
    expect(tar).toContain("img:two");
    const first = await get(viewerId, workflowId, `teamId=${teamId}&revision=1&dockerfile=python`);
    const firstTar = gunzipSync(Buffer.from(await first.arrayBuffer())).toString("latin1");
    expect(firstTar).toContain("img:one");
    expect(firstTar).toContain("shop-r1/Dockerfile");
  });

  it("refuses a cross-origin request with 403 and no archive", async () => {
    for (const headers of HOSTILE_ORIGIN_HEADERS) {
      const response = await get(viewerId, workflowId, `teamId=${teamId}`, headers);
      expect([response.status, response.headers.get("content-type")]).toEqual([403, "application/json"]);
      expect(await response.text()).not.toContain("img:two");
    }
  });

  it("refuses without a session, outside the team, for another team's workflow and bad input", async () => {
    expect((await get(null, workflowId, `teamId=${teamId}`)).status).toBe(401);
    const results = [
      await get(outsiderId, workflowId, `teamId=${teamId}`),
      await get(viewerId, otherWorkflowId, `teamId=${teamId}`),
      await get(viewerId, "00000000-0000-4000-8000-000000000000", `teamId=${teamId}`),
      await get(viewerId, workflowId, `teamId=${teamId}&revision=9`),
    ];
    expect(results.map((r) => r.status)).toEqual([404, 404, 404, 404]);
    const [cross, missing] = [await results[1]!.json(), await results[2]!.json()];
    expect(cross).toEqual(missing);
    expect((await get(viewerId, workflowId, `teamId=${teamId}&dockerfile=ruby`)).status).toBe(400);
  });
});
