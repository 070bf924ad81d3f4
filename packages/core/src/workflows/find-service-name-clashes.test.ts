// Workflow `pay` with service `web-api` and workflow `pay-web` with service `api` would both run
// as `capstan-pay-web-api`: on real PostgreSQL, the second is refused at save, at its line, and
// the live check says the same; other teams (other hosts) are not affected.
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestMember, createTestTeam } from "../../test/fixtures";
import type { TeamActor } from "../rbac/team-actor";
import { checkWorkflowSource } from "./check-workflow-source";
import { createWorkflow } from "./create-workflow";
import { saveRevision } from "./save-revision";

const ok = requireComponents("core/workflows name clashes", await postgresAvailable());

const yaml = (name: string, ...services: string[]) => `name: ${name}
targets:
  selector: { role: web }
services:
${services
  .map(
    (s) => `  ${s}:
    compose:
      inline:
        services:
          main:
            image: capstan-busybox:test
`,
  )
  .join("")}`;

describe.skipIf(!ok)("service name clashes between workflows", () => {
  let db: TestDatabase;
  let admin: TeamActor;
  let other: TeamActor;

  beforeAll(async () => {
    db = await createTestDatabase();
    admin = (await createTestMember(db.prisma, (await createTestTeam(db.prisma, "Main")).id, "ADMIN")).actor;
    other = (await createTestMember(db.prisma, (await createTestTeam(db.prisma, "Other")).id, "OWNER")).actor;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("refuses a workflow whose service would take another workflow's unit name, at its line", async () => {
    const pay = await createWorkflow(db.prisma, admin, { source: yaml("pay", "web-api", "worker") });
    // The service is dropped from the latest revision, but may still run on hosts: it still counts.
    await saveRevision(db.prisma, admin, { workflowId: pay.id, source: yaml("pay", "worker") });

    const clashing = yaml("pay-web", "admin", "api");
    const error = await appError(createWorkflow(db.prisma, admin, { source: clashing }));
    expect(error.code).toBe("BAD_REQUEST");
    const line = clashing.split("\n").indexOf("  api:") + 1;
    expect(error.details).toEqual({
      issues: [
        expect.objectContaining({
          path: ["services", "api"],
          line,
          text: expect.stringContaining(
            "`capstan-pay-web-api`, which is also the name of service `web-api` of workflow `pay`",
          ),
        }),
      ],
    });
    expect(await db.prisma.workflow.count({ where: { name: "pay-web" } })).toBe(0);

    const check = await checkWorkflowSource(db.prisma, { teamId: admin.teamId, source: clashing });
    expect(check).toMatchObject({ ok: false, issues: [{ path: ["services", "api"], line }] });
    // Another team's workflows run on other hosts.
    await expect(createWorkflow(db.prisma, other, { source: clashing })).resolves.toMatchObject({
      name: "pay-web",
    });
  });

  it("refuses the clash from either side, and on a new revision", async () => {
    const payWeb = await createWorkflow(db.prisma, admin, { source: yaml("pay-web", "admin") });
    const before = await db.prisma.revision.count({ where: { workflowId: payWeb.id } });
    const withApi = await appError(
      saveRevision(db.prisma, admin, { workflowId: payWeb.id, source: yaml("pay-web", "admin", "api") }),
    );
    expect(withApi.code).toBe("BAD_REQUEST");
    expect(await db.prisma.revision.count({ where: { workflowId: payWeb.id } })).toBe(before);

    // The longer name exists first this time: `pay` may not add `web-admin`.
    const pay = (await db.prisma.workflow.findFirstOrThrow({ where: { teamId: admin.teamId, name: "pay" } }))
      .id;
    const shorter = await appError(
      saveRevision(db.prisma, admin, { workflowId: pay, source: yaml("pay", "worker", "web-admin") }),
    );
    expect(shorter.message).toContain("service `admin` of workflow `pay-web`");
    // Names that only share a prefix do not clash.
    await expect(
      saveRevision(db.prisma, admin, { workflowId: pay, source: yaml("pay", "worker", "webadmin") }),
    ).resolves.toMatchObject({ created: true });
  });
});
