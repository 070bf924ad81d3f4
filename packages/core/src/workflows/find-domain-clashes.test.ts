// A domain routed by one workflow on a host is refused at save for another workflow of the team
// that targets the same host (422, naming both workflows and the host, at the line); different
// hosts, other teams and an archived workflow do not clash, and the live check says the same.
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestMember, createTestTeam } from "../../test/fixtures";
import { createTestHost, uniqueName } from "../deployments/test-fixtures";
import type { TeamActor } from "../rbac/team-actor";
import { checkWorkflowSource } from "./check-workflow-source";
import { createWorkflow } from "./create-workflow";
import { saveRevision } from "./save-revision";

const ok = requireComponents("core/workflows domain clashes", await postgresAvailable());

const yaml = (name: string, targets: string, domains: string) => `name: ${name}
targets: ${targets}
services:
  web:
    compose:
      inline:
        services:
          app: { image: capstan-busybox:test }
    domains: ${domains}
`;

describe.skipIf(!ok)("domain clashes between workflows", () => {
  let db: TestDatabase;
  let admin: TeamActor;
  let other: TeamActor;
  let web1: string;
  let web2: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    admin = (await createTestMember(db.prisma, (await createTestTeam(db.prisma, "Main")).id, "ADMIN")).actor;
    other = (await createTestMember(db.prisma, (await createTestTeam(db.prisma, "Other")).id, "OWNER")).actor;
    web1 = (await createTestHost(db.prisma, admin.teamId, uniqueName("web"))).name;
    web2 = (await createTestHost(db.prisma, admin.teamId, uniqueName("web"))).name;
    await db.prisma.host.update({
      where: { teamId_name: { teamId: admin.teamId, name: web2 } },
      data: { labels: { role: "edge" } },
    });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("refuses a domain another workflow routes on a shared host, naming both workflows, the host and the line", async () => {
    const shop = uniqueName("shop");
    await createWorkflow(db.prisma, admin, {
      source: yaml(
        shop,
        `{ hosts: [${web1}] }`,
        "[{ host: shop.example.com, port: 80, www: redirect-to-apex }]",
      ),
    });
    const blog = uniqueName("blog");
    // Selected by label (role=web is web1's label): the shared host is found through the selector.
    const clashing = yaml(
      blog,
      "{ selector: { role: web } }",
      "[{ host: docs.example.com, port: 80 }, { host: www.shop.example.com, port: 80 }]",
    );
    const error = await appError(createWorkflow(db.prisma, admin, { source: clashing }));
    expect(error.code).toBe("UNPROCESSABLE");
    expect(error.message).toContain(
      `services.web.domains[1].host: \`www.shop.example.com\` is already routed by workflow \`${shop}\` on host ${web1}, which workflow \`${blog}\` also targets`,
    );
    expect(error.message).toContain(
      `(line ${clashing.split("\n").findIndex((l) => l.includes("    domains:")) + 1})`,
    );
    expect(await db.prisma.workflow.count({ where: { name: blog } })).toBe(0);

    const live = await checkWorkflowSource(db.prisma, { teamId: admin.teamId, source: clashing });
    expect(live.ok).toBe(false);
    expect(live.issues.map((i) => i.text).join("\n")).toContain(`workflow \`${shop}\``);
  });

  it("refuses the clash on an edit too, and allows the domain on a host the other workflow does not target", async () => {
    const shop = uniqueName("shop");
    await createWorkflow(db.prisma, admin, {
      source: yaml(shop, `{ hosts: [${web1}] }`, "[{ host: api.example.com, port: 80 }]"),
    });
    const edge = uniqueName("edge");
    const created = await createWorkflow(db.prisma, admin, {
      source: yaml(edge, `{ hosts: [${web2}] }`, "[{ host: api.example.com, port: 80 }]"),
    });
    const edit = await appError(
      saveRevision(db.prisma, admin, {
        workflowId: created.id,
        source: yaml(edge, `{ hosts: [${web2}, ${web1}] }`, "[{ host: api.example.com, port: 80 }]"),
      }),
    );
    expect(edit.code).toBe("UNPROCESSABLE");
    expect(edit.message).toContain(`by workflow \`${shop}\` on host ${web1}`);
  });

  it("ignores other teams and archived workflows", async () => {
    const name = uniqueName("old");
    const old = await createWorkflow(db.prisma, admin, {
      source: yaml(name, `{ hosts: [${web1}] }`, "[{ host: old.example.com, port: 80 }]"),
    });
    await expect(
      createWorkflow(db.prisma, other, {
        source: yaml(uniqueName("t"), `{ hosts: [${web1}] }`, "[{ host: old.example.com, port: 80 }]"),
      }),
    ).resolves.toBeDefined();
    await db.prisma.workflow.update({ where: { id: old.id }, data: { archivedAt: new Date() } });
    await expect(
      createWorkflow(db.prisma, admin, {
        source: yaml(uniqueName("new"), `{ hosts: [${web1}] }`, "[{ host: old.example.com, port: 80 }]"),
      }),
    ).resolves.toBeDefined();
  });
});
