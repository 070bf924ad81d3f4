// Artifact upload end to end on real PostgreSQL: the upload route's logic (session + ADMIN
// membership from the database), the tRPC list/delete procedures with their roles, team
// isolation, refusals with clear messages, and the signed agent route serving the same bytes.
import { createHash, randomBytes } from "node:crypto";
import { MAX_ARTIFACT_BYTES } from "@capstan/core/artifacts/artifact-rules";
import { createTestHost } from "@capstan/core/deployments/test-fixtures";
import { ROLES } from "@capstan/core/rbac/roles";
import type { Role } from "@capstan/db";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { createAgentClient } from "@capstan/protocol";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "@/server/trpc/root";
import {
  createTestMember,
  createTestTeam,
  createTestUser,
} from "../../../../../../packages/core/test/fixtures";
import { HOSTILE_ORIGIN_HEADERS } from "../../../../test/cross-origin-fixtures";
import { trpcCode } from "../../../../test/trpc-code";
import { handleUploadArtifact } from "./handle-upload-artifact";

const ok = requireComponents("web artifact upload", await postgresAvailable());
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe.skipIf(!ok)("artifact upload", () => {
  let db: TestDatabase;
  let teamId: string;
  let otherTeamId: string;
  let otherAdmin: string;
  let outsider: string;
  const users = {} as Record<Role, string>;
  const as = (userId: string) => createCaller({ prisma: db.prisma, userId });
  const upload = (userId: string | null, query: string, body?: BodyInit, headers?: HeadersInit) =>
    handleUploadArtifact(
      db.prisma,
      userId,
      new Request(`http://127.0.0.1/api/artifacts?${query}`, { method: "POST", body, headers }),
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    teamId = (await createTestTeam(db.prisma, "Main")).id;
    for (const role of ROLES) users[role] = (await createTestMember(db.prisma, teamId, role)).user.id;
    otherTeamId = (await createTestTeam(db.prisma, "Other")).id;
    otherAdmin = (await createTestMember(db.prisma, otherTeamId, "ADMIN")).user.id;
    outsider = (await createTestUser(db.prisma, "outsider")).id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("stores the raw body, answers its server-side sha256, lists it and records the event", async () => {
    const bytes = randomBytes(64 * 1024);
    const res = await upload(users.ADMIN, `teamId=${teamId}&name=api-server.tar.gz`, bytes);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ name: "api-server.tar.gz", sha256: sha(bytes), size: bytes.length });

    const list = await as(users.VIEWER).artifacts.list({ teamId });
    expect(list.map((a) => [a.name, a.sha256, a.size])).toEqual([
      ["api-server.tar.gz", sha(bytes), bytes.length],
    ]);
    expect(list[0]?.createdBy?.id).toBe(users.ADMIN);
    const events = await db.prisma.auditEvent.findMany({ where: { teamId, kind: "artifact.uploaded" } });
    expect(events.map((e) => e.data)).toEqual([
      { name: "api-server.tar.gz", sha256: sha(bytes), size: bytes.length },
    ]);

    // The same bytes again are idempotent; new bytes under the name add a version.
    const again = await upload(users.OWNER, `teamId=${teamId}&name=api-server.tar.gz`, bytes);
    expect(again.status).toBe(200);
    const v2 = Buffer.from("version two");
    expect(
      (await (await upload(users.ADMIN, `teamId=${teamId}&name=api-server.tar.gz`, v2)).json()).sha256,
    ).toBe(sha(v2));
    expect((await as(users.ADMIN).artifacts.list({ teamId })).map((a) => a.sha256).sort()).toEqual(
      [sha(bytes), sha(v2)].sort(),
    );
    const renamed = await upload(users.ADMIN, `teamId=${teamId}&name=other-name`, v2);
    expect(renamed.status).toBe(409);
    expect((await renamed.json()).error.message).toContain('already uploaded as "api-server.tar.gz"');
  });

  it("lets only ADMIN and OWNER upload or delete, and hides other teams' artifacts", async () => {
    const statuses: Record<string, number> = {};
    for (const role of ROLES) {
      statuses[role] = (
        await upload(users[role], `teamId=${teamId}&name=by-${role.toLowerCase()}`, `x-${role}`)
      ).status;
    }
    expect(statuses).toEqual({ OWNER: 201, ADMIN: 201, DEPLOYER: 403, VIEWER: 403 });
    expect((await upload(null, `teamId=${teamId}&name=anon`, "x")).status).toBe(401);
    expect((await upload(outsider, `teamId=${teamId}&name=outsider`, "x")).status).toBe(404);
    expect((await upload(otherAdmin, `teamId=${teamId}&name=foreign`, "x")).status).toBe(404);

    const foreign = await upload(otherAdmin, `teamId=${otherTeamId}&name=their-thing`, "theirs");
    expect(foreign.status).toBe(201);
    const mine = await as(users.VIEWER).artifacts.list({ teamId });
    expect(mine.map((a) => a.name)).not.toContain("their-thing");
    const theirs = await as(otherAdmin).artifacts.list({ teamId: otherTeamId });
    expect(theirs.map((a) => a.name)).toEqual(["their-thing"]);

    const target = mine.find((a) => a.name === "by-owner")!;
    expect(await trpcCode(as(users.VIEWER).artifacts.delete({ teamId, id: target.id }))).toBe("FORBIDDEN");
    expect(await trpcCode(as(users.DEPLOYER).artifacts.delete({ teamId, id: target.id }))).toBe("FORBIDDEN");
    // Another team's id through my team acts as missing.
    expect(await trpcCode(as(users.ADMIN).artifacts.delete({ teamId, id: theirs[0]!.id }))).toBe("NOT_FOUND");
    expect(await trpcCode(as(users.ADMIN).artifacts.delete({ teamId, id: target.id }))).toBe("OK");
    expect((await as(users.ADMIN).artifacts.list({ teamId })).map((a) => a.id)).not.toContain(target.id);
    const deleted = await db.prisma.auditEvent.findFirst({ where: { teamId, kind: "artifact.deleted" } });
    expect(deleted?.targetId).toBe(target.id);
  });

  it("refuses bad names, empty bodies and oversize uploads with clear messages", async () => {
    for (const name of ["", "-leading", "has space", "../etc", "a/b", "x".repeat(129)]) {
      const res = await upload(users.ADMIN, `teamId=${teamId}&name=${encodeURIComponent(name)}`, "x");
      expect(res.status, name).toBe(400);
      expect((await res.json()).error.message).toMatch(/Invalid artifact name|Pass the teamId and name/);
    }
    const empty = await upload(users.ADMIN, `teamId=${teamId}&name=empty`, new Uint8Array(0));
    expect(empty.status).toBe(400);
    expect((await empty.json()).error.message).toContain("empty");

    // Declared too large: refused before reading anything.
    const declared = await upload(users.ADMIN, `teamId=${teamId}&name=huge`, "x", {
      "content-length": String(MAX_ARTIFACT_BYTES + 1),
    });
    expect(declared.status).toBe(400);
    expect((await declared.json()).error.message).toContain("100 MiB");
    // Streamed without a length: cut off once past the limit.
    const chunk = new Uint8Array(8 * 1024 * 1024);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_ARTIFACT_BYTES) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const streamed = await handleUploadArtifact(
      db.prisma,
      users.ADMIN,
      new Request(`http://127.0.0.1/api/artifacts?teamId=${teamId}&name=huge`, {
        method: "POST",
        body: stream,
        duplex: "half",
      } as RequestInit),
    );
    expect(streamed.status).toBe(400);
    expect((await streamed.json()).error.message).toContain("100 MiB");
    expect(await db.prisma.artifact.count({ where: { name: { in: ["huge", "empty"] } } })).toBe(0);
  });

  it("refuses a cross-origin upload with 403 and stores nothing", async () => {
    const before = await db.prisma.artifact.count({ where: { teamId } });
    for (const headers of HOSTILE_ORIGIN_HEADERS) {
      const res = await upload(users.OWNER, `teamId=${teamId}&name=planted.tar.gz`, randomBytes(64), headers);
      expect(res.status).toBe(403);
      expect((await res.json()).error.message).toMatch(/^Cross-origin request refused/);
    }
    expect(await db.prisma.artifact.count({ where: { teamId } })).toBe(before);
    expect(await db.prisma.artifact.count({ where: { teamId, name: "planted.tar.gz" } })).toBe(0);
  });

  it("serves exactly the uploaded bytes to an agent of the team", async () => {
    const bytes = randomBytes(300 * 1024);
    const res = await upload(users.ADMIN, `teamId=${teamId}&name=node-app.tar.gz`, bytes);
    const { sha256 } = (await res.json()) as { sha256: string };
    const dispatch = await (await import("../../../../test/agent-dispatch")).loadAgentRoutes();
    const host = await createTestHost(db.prisma, teamId);
    const client = createAgentClient({
      baseUrl: "http://capstan.test",
      hostId: host.id,
      privateKey: host.keys.privateKeyPem,
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) =>
        dispatch(new Request(input, init))) as typeof fetch,
    });
    const download = await client.downloadArtifact("node-app.tar.gz", { sha256 });
    expect(download.sha256).toBe(sha(bytes));
    expect(Buffer.from(await new Response(download.body).arrayBuffer()).equals(bytes)).toBe(true);
  });
});
