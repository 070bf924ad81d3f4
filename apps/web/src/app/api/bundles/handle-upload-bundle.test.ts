// The dashboard's bundle upload on real PostgreSQL: session + ADMIN membership from the database,
// same-origin only, then tRPC saves a revision that carries the bundle; another team's bundle
// cannot be named.
import { createHash } from "node:crypto";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "@/server/trpc/root";
import { makeBundle } from "../../../../../../packages/core/test/bundles";
import { createTestMember, createTestTeam } from "../../../../../../packages/core/test/fixtures";
import { HOSTILE_ORIGIN_HEADERS } from "../../../../test/cross-origin-fixtures";
import { trpcCode } from "../../../../test/trpc-code";
import { handleUploadBundle } from "./handle-upload-bundle";

const ok = requireComponents("web bundle upload", await postgresAvailable());

const yaml = (name: string) =>
  `name: ${name}\ntargets: { hosts: [web-1] }\nservices:\n  web:\n    compose: { file: compose.yaml }\n`;

describe.skipIf(!ok)("bundle upload (dashboard)", () => {
  let db: TestDatabase;
  let teamId: string;
  let admin: string;
  let deployer: string;
  let otherAdmin: string;
  let otherTeamId: string;
  const upload = (userId: string | null, team: string, body: Buffer, headers?: HeadersInit) =>
    handleUploadBundle(
      db.prisma,
      userId,
      new Request(`http://127.0.0.1/api/bundles?teamId=${team}`, {
        method: "POST",
        body: new Uint8Array(body),
        headers,
      }),
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    teamId = (await createTestTeam(db.prisma, "Main")).id;
    admin = (await createTestMember(db.prisma, teamId, "ADMIN")).user.id;
    deployer = (await createTestMember(db.prisma, teamId, "DEPLOYER")).user.id;
    otherTeamId = (await createTestTeam(db.prisma, "Other")).id;
    otherAdmin = (await createTestMember(db.prisma, otherTeamId, "ADMIN")).user.id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("stores an ADMIN's same-origin upload; refuses cross-origin, other roles and outsiders", async () => {
    const data = await makeBundle([
      { name: "compose.yaml", content: "services:\n  web:\n    image: nginx\n" },
    ]);
    for (const headers of HOSTILE_ORIGIN_HEADERS)
      expect((await upload(admin, teamId, data, headers)).status).toBe(403);
    expect((await upload(deployer, teamId, data)).status).toBe(403);
    expect((await upload(otherAdmin, teamId, data)).status).toBe(404);
    expect((await upload(null, teamId, data)).status).toBe(401);
    expect(await db.prisma.bundle.count()).toBe(0);

    const stored = await upload(admin, teamId, data);
    expect(stored.status).toBe(200);
    const sha256 = createHash("sha256").update(data).digest("hex");
    expect(await stored.json()).toEqual({ sha256, size: data.byteLength, entries: 1 });
    expect((await upload(admin, teamId, data)).status).toBe(200);
    const events = await db.prisma.auditEvent.findMany({ where: { teamId, kind: "bundle.stored" } });
    expect(events.map((e) => [e.actorId, e.data])).toEqual([
      [admin, { sha256, size: data.byteLength, entries: 1 }],
    ]);

    const caller = createCaller({ prisma: db.prisma, userId: admin });
    // The editor's live check reads compose.file from the bundle too.
    expect(await caller.workflows.check({ teamId, source: yaml("shop"), bundle: sha256 })).toMatchObject({
      ok: true,
      issues: [],
    });
    expect((await caller.workflows.check({ teamId, source: yaml("shop") })).ok).toBe(false);
    const created = await caller.workflows.create({ teamId, source: yaml("shop"), bundle: sha256 });
    const revision = await db.prisma.revision.findUniqueOrThrow({ where: { id: created.revision.id } });
    expect(revision.bundleId).not.toBeNull();
    expect(revision.spec).toMatchObject({ services: { web: { compose: { file: "compose.yaml" } } } });
    // The same YAML with the same files is no new revision; without them the file cannot be read.
    expect(
      (
        await caller.workflows.saveRevision({
          teamId,
          workflowId: created.id,
          source: yaml("shop"),
          bundle: sha256,
        })
      ).created,
    ).toBe(false);
    expect(
      await trpcCode(caller.workflows.saveRevision({ teamId, workflowId: created.id, source: yaml("shop") })),
    ).toBe("BAD_REQUEST");

    // Another team cannot name this team's bundle, even knowing its sha256.
    const theirs = createCaller({ prisma: db.prisma, userId: otherAdmin });
    expect(
      await trpcCode(theirs.workflows.create({ teamId: otherTeamId, source: yaml("copy"), bundle: sha256 })),
    ).toBe("NOT_FOUND");
  });
});
