// Workflows and revisions on real PostgreSQL: create, save (new revision or "unchanged"), rename
// refused at its line, history pages, diffs, the .tar.gz export, audit events, and another team's
// ids answering exactly like missing ones.
import { createGunzip } from "node:zlib";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { extract } from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestMember, createTestTeam } from "../../test/fixtures";
import type { TeamActor } from "../rbac/team-actor";
import { checkWorkflowSource } from "./check-workflow-source";
import { createWorkflow } from "./create-workflow";
import { diffRevisions } from "./diff-revisions";
import { exportWorkflow } from "./export-workflow";
import { getRevision } from "./get-revision";
import { getWorkflow } from "./get-workflow";
import { listRevisions } from "./list-revisions";
import { listWorkflows } from "./list-workflows";
import { saveRevision } from "./save-revision";

const ok = requireComponents("core/workflows revisions", await postgresAvailable());
const MISSING = "00000000-0000-4000-8000-000000000000";

const yaml = (name: string, image = "capstan-busybox:test") => `# ${name}
name: ${name}
targets:
  selector: { role: web }
secrets: [DB_PASSWORD]
services:
  web:
    compose:
      inline:
        services:
          web:
            image: ${image}
    secrets: [DB_PASSWORD]
  api:
    dependsOn: [web]
    systemd:
      exec: ["/usr/bin/node", "server.js"]
`;

async function untar(body: Buffer): Promise<Map<string, { mode: number; content: string }>> {
  const files = new Map<string, { mode: number; content: string }>();
  const ex = extract();
  ex.on("entry", (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: unknown) => chunks.push(c as Buffer));
    stream.on("end", () => {
      files.set(header.name, { mode: header.mode ?? 0, content: Buffer.concat(chunks).toString("utf8") });
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    ex.on("finish", () => resolve());
    ex.on("error", reject);
  });
  const gunzip = createGunzip();
  gunzip.pipe(ex);
  gunzip.end(body);
  await done;
  return files;
}

describe.skipIf(!ok)("workflows and revisions", () => {
  let db: TestDatabase;
  let admin: TeamActor;
  let other: TeamActor;

  beforeAll(async () => {
    db = await createTestDatabase();
    const team = await createTestTeam(db.prisma, "Main");
    admin = (await createTestMember(db.prisma, team.id, "ADMIN")).actor;
    const otherTeam = await createTestTeam(db.prisma, "Other");
    other = (await createTestMember(db.prisma, otherTeam.id, "OWNER")).actor;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("creates a workflow with revision 1 from valid YAML and records an audit event", async () => {
    const created = await createWorkflow(db.prisma, admin, { source: yaml("shop"), message: "first" });
    expect(created).toMatchObject({ name: "shop", revision: { number: 1 } });
    expect(created.revision.contentHash).toMatch(/^[0-9a-f]{64}$/);
    const detail = await getWorkflow(db.prisma, { teamId: admin.teamId, workflowId: created.id });
    expect(detail.latestRevision).toMatchObject({ number: 1, message: "first", source: yaml("shop") });
    expect(detail.latestRevision?.author?.email).toBe(admin.email);
    expect(detail.services).toEqual([
      { name: "web", kind: "compose", dependsOn: [], secrets: ["DB_PASSWORD"] },
      { name: "api", kind: "systemd", dependsOn: ["web"], secrets: [] },
    ]);
    expect(detail.declaredSecrets).toEqual(["DB_PASSWORD"]);
    const events = await db.prisma.auditEvent.findMany({
      where: { teamId: admin.teamId, targetId: created.id },
    });
    expect(events.map((e) => e.kind)).toEqual(["workflow.created"]);
  });

  it("refuses invalid YAML with issues at their lines, and a second workflow with the same name", async () => {
    const broken = yaml("broken").replace('exec: ["/usr/bin/node", "server.js"]', 'exec: ["node"]');
    const error = await appError(createWorkflow(db.prisma, admin, { source: broken }));
    expect(error.code).toBe("BAD_REQUEST");
    const issues = (error.details as { issues: { path: unknown[]; line?: number; text: string }[] }).issues;
    const line = broken.split("\n").findIndex((l) => l.includes('exec: ["node"]')) + 1;
    expect(issues).toContainEqual(
      expect.objectContaining({ line, path: ["services", "api", "systemd", "exec", 0] }),
    );
    expect(await db.prisma.workflow.count({ where: { name: "broken" } })).toBe(0);

    const dup = await appError(createWorkflow(db.prisma, admin, { source: yaml("shop") }));
    expect(dup.code).toBe("CONFLICT");
  });

  it("makes a new revision only when the content changes", async () => {
    const wf = await createWorkflow(db.prisma, admin, { source: yaml("blog") });
    const commentOnly = await saveRevision(db.prisma, admin, {
      workflowId: wf.id,
      source: `# only a comment changed\n${yaml("blog")}`,
    });
    expect(commentOnly).toEqual({ created: false, revision: expect.objectContaining({ number: 1 }) });
    const changed = await saveRevision(db.prisma, admin, {
      workflowId: wf.id,
      source: yaml("blog", "capstan-busybox:v2"),
      message: "  new image  ",
    });
    expect(changed).toMatchObject({ created: true, revision: { number: 2 } });
    expect(changed.revision.contentHash).not.toBe(wf.revision.contentHash);
    const r2 = await getRevision(db.prisma, { teamId: admin.teamId, workflowId: wf.id, number: 2 });
    expect(r2.message).toBe("new image");
    expect(r2.spec.services.web).toMatchObject({
      compose: { inline: { services: { web: { image: "capstan-busybox:v2" } } } },
    });

    const check = await checkWorkflowSource(db.prisma, {
      teamId: admin.teamId,
      workflowId: wf.id,
      source: `${yaml("blog", "capstan-busybox:v2")}# trailing comment\n`,
    });
    expect(check).toMatchObject({ ok: true, unchangedFrom: 2, name: "blog" });
    const kinds = await db.prisma.auditEvent.findMany({
      where: { targetId: wf.id },
      orderBy: { id: "asc" },
      select: { kind: true, data: true },
    });
    expect(kinds).toEqual([
      expect.objectContaining({ kind: "workflow.created" }),
      expect.objectContaining({
        kind: "workflow.revision_created",
        data: expect.objectContaining({ revision: 2 }),
      }),
    ]);
  });

  it("refuses renaming a workflow, pointing at the name line", async () => {
    const wf = await createWorkflow(db.prisma, admin, { source: yaml("named") });
    const renamed = yaml("renamed");
    const error = await appError(saveRevision(db.prisma, admin, { workflowId: wf.id, source: renamed }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.details).toEqual({
      issues: [
        expect.objectContaining({
          path: ["name"],
          line: 2,
          text: expect.stringContaining("names cannot change"),
        }),
      ],
    });
    const check = await checkWorkflowSource(db.prisma, {
      teamId: admin.teamId,
      workflowId: wf.id,
      source: renamed,
    });
    expect(check.ok).toBe(false);
    expect(check.issues[0]).toMatchObject({ path: ["name"], line: 2 });
  });

  it("keeps revision numbers dense under concurrent saves", async () => {
    const wf = await createWorkflow(db.prisma, admin, { source: yaml("busy") });
    const results = await Promise.all(
      [1, 2, 3, 4].map((i) =>
        saveRevision(db.prisma, admin, { workflowId: wf.id, source: yaml("busy", `capstan-busybox:c${i}`) }),
      ),
    );
    expect(results.map((r) => r.revision.number).sort()).toEqual([2, 3, 4, 5]);
  });

  it("pages workflows by name and revisions by number", async () => {
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await listWorkflows(db.prisma, { teamId: admin.teamId, cursor, limit: 2 });
      expect(page.items.length).toBeLessThanOrEqual(2);
      names.push(...page.items.map((w) => w.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names).toEqual(["blog", "busy", "named", "shop"]);
    const search = await listWorkflows(db.prisma, { teamId: admin.teamId, search: "BL" });
    expect(search.items).toEqual([
      expect.objectContaining({
        name: "blog",
        serviceCount: 2,
        kinds: ["compose", "systemd"],
        lastDeployment: null,
      }),
    ]);
    expect(search.items[0]!.latestRevision?.number).toBe(2);
    expect((await listWorkflows(db.prisma, { teamId: other.teamId })).items).toEqual([]);

    const busy = (await listWorkflows(db.prisma, { teamId: admin.teamId, search: "busy" })).items[0]!;
    const first = await listRevisions(db.prisma, { teamId: admin.teamId, workflowId: busy.id, limit: 3 });
    expect(first.items.map((r) => r.number)).toEqual([5, 4, 3]);
    const second = await listRevisions(db.prisma, {
      teamId: admin.teamId,
      workflowId: busy.id,
      limit: 3,
      cursor: first.nextCursor,
    });
    expect(second.items.map((r) => r.number)).toEqual([2, 1]);
    expect(second.nextCursor).toBeNull();
  });

  it("diffs any two revisions line by line", async () => {
    const blog = (await listWorkflows(db.prisma, { teamId: admin.teamId, search: "blog" })).items[0]!;
    const diff = await diffRevisions(db.prisma, {
      teamId: admin.teamId,
      workflowId: blog.id,
      from: 1,
      to: 2,
    });
    expect(diff).toMatchObject({
      from: { number: 1 },
      to: { number: 2 },
      sameContent: false,
      added: 1,
      removed: 1,
    });
    const changed = diff.hunks.flatMap((h) => h.lines).filter((l) => l.type !== "context");
    const line =
      yaml("blog")
        .split("\n")
        .findIndex((l) => l.includes("image:")) + 1;
    expect(changed).toEqual([
      { type: "removed", text: "            image: capstan-busybox:test", oldLine: line, newLine: null },
      { type: "added", text: "            image: capstan-busybox:v2", oldLine: null, newLine: line },
    ]);
    const reverse = await diffRevisions(db.prisma, {
      teamId: admin.teamId,
      workflowId: blog.id,
      from: 2,
      to: 1,
    });
    expect(reverse.hunks.flatMap((h) => h.lines).find((l) => l.type === "added")?.text).toContain("test");
    const same = await diffRevisions(db.prisma, {
      teamId: admin.teamId,
      workflowId: blog.id,
      from: 2,
      to: 2,
    });
    expect(same).toMatchObject({ sameContent: true, hunks: [], added: 0, removed: 0 });
    expect(
      (
        await appError(
          diffRevisions(db.prisma, { teamId: admin.teamId, workflowId: blog.id, from: 1, to: 9 }),
        )
      ).code,
    ).toBe("NOT_FOUND");
  });

  it("exports a revision as a reproducible .tar.gz with the rendered files and no secret values", async () => {
    const shop = (await listWorkflows(db.prisma, { teamId: admin.teamId, search: "shop" })).items[0]!;
    const result = await exportWorkflow(db.prisma, {
      teamId: admin.teamId,
      workflowId: shop.id,
      dockerfile: "node",
    });
    expect(result.filename).toBe("shop-r1.tar.gz");
    expect(result.body.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const files = await untar(result.body);
    expect([...files.keys()].sort()).toEqual([
      "shop-r1/.dockerignore",
      "shop-r1/.env.example",
      "shop-r1/Dockerfile",
      "shop-r1/README.md",
      "shop-r1/compose/web/.env.example",
      "shop-r1/compose/web/compose.yaml",
      "shop-r1/systemd/api.env.example",
      "shop-r1/systemd/capstan-shop-api.service",
    ]);
    expect(files.get("shop-r1/.env.example")?.content).toContain("DB_PASSWORD=\n");
    expect(files.get("shop-r1/compose/web/compose.yaml")?.content).toContain("capstan-busybox:test");
    expect(files.get("shop-r1/systemd/capstan-shop-api.service")?.content).toContain("ExecStart=");
    expect(files.get("shop-r1/README.md")?.mode).toBe(0o644);
    const again = await exportWorkflow(db.prisma, {
      teamId: admin.teamId,
      workflowId: shop.id,
      dockerfile: "node",
    });
    expect(again.body.equals(result.body)).toBe(true);
  });

  it("answers another team's workflow exactly like a missing one", async () => {
    const shop = (await listWorkflows(db.prisma, { teamId: admin.teamId, search: "shop" })).items[0]!;
    const calls = (teamId: string, workflowId: string) => [
      getWorkflow(db.prisma, { teamId, workflowId }),
      getRevision(db.prisma, { teamId, workflowId, number: 1 }),
      listRevisions(db.prisma, { teamId, workflowId }),
      diffRevisions(db.prisma, { teamId, workflowId, from: 1, to: 1 }),
      exportWorkflow(db.prisma, { teamId, workflowId }),
      checkWorkflowSource(db.prisma, { teamId, workflowId, source: yaml("shop") }),
    ];
    const crossTeam = await Promise.all(calls(other.teamId, shop.id).map(appError));
    const missing = await Promise.all(calls(admin.teamId, MISSING).map(appError));
    const garbage = await Promise.all(calls(admin.teamId, "x'; drop").map(appError));
    for (const list of [crossTeam, missing, garbage])
      expect(list.map((e) => `${e.code} ${e.message}`)).toEqual(
        Array(6).fill("NOT_FOUND Workflow not found."),
      );
    const save = await appError(
      saveRevision(db.prisma, other, { workflowId: shop.id, source: yaml("shop", "x:1") }),
    );
    expect(save.code).toBe("NOT_FOUND");
    expect(await db.prisma.revision.count({ where: { workflowId: shop.id } })).toBe(1);
  });
});
