// The enrollment and hosts routers through tRPC: roles, token shown once, team isolation.
import { createTestHost } from "@capstan/core/deployments/test-fixtures";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestMember,
  createTestTeam,
  postgresComponent,
} from "../../../../../../packages/core/test/fixtures";
import { trpcCode } from "../../../../test/trpc-code";
import { createCaller } from "../root";

const ok = requireComponents("web/trpc enrollment and hosts", await postgresComponent());

describe.skipIf(!ok)("enrollment and hosts routers", () => {
  let db: TestDatabase;
  let teamId: string;
  let admin: string;
  let viewer: string;
  let otherHostId: string;
  const as = (userId: string) => createCaller({ prisma: db.prisma, userId });

  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma, "Ops")).id;
    admin = (await createTestMember(db.prisma, teamId, "ADMIN")).user.id;
    viewer = (await createTestMember(db.prisma, teamId, "VIEWER")).user.id;
    const other = await createTestTeam(db.prisma, "Other");
    otherHostId = (await createTestHost(db.prisma, other.id)).id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("lets admins create, list and revoke enrollment tokens; the token is shown only once", async () => {
    expect(await trpcCode(as(viewer).enrollment.create({ teamId, labels: {} }))).toBe("FORBIDDEN");
    expect(await trpcCode(as(viewer).enrollment.list({ teamId }))).toBe("FORBIDDEN");
    const created = await as(admin).enrollment.create({ teamId, hostName: "web-9", labels: { role: "web" } });
    expect(created.token).toMatch(/^cst_enr_/);
    const listed = await as(admin).enrollment.list({ teamId });
    expect(listed.map((t) => t.id)).toContain(created.id);
    expect(JSON.stringify(listed)).not.toContain(created.token);
    const revoked = await as(admin).enrollment.revoke({ teamId, tokenId: created.id });
    expect(revoked.status).toBe("REVOKED");
    expect(
      await db.prisma.auditEvent.count({ where: { kind: "enrollment_token.revoked", targetId: created.id } }),
    ).toBe(1);
  });

  it("lets viewers read hosts, admins change and revoke them, and hides other teams' hosts", async () => {
    const host = await createTestHost(db.prisma, teamId);
    expect((await as(viewer).hosts.list({ teamId })).map((h) => h.id)).toContain(host.id);
    expect((await as(viewer).hosts.get({ teamId, hostId: host.id })).keyFingerprint).toHaveLength(16);
    expect(await trpcCode(as(viewer).hosts.revoke({ teamId, hostId: host.id }))).toBe("FORBIDDEN");
    expect(await trpcCode(as(admin).hosts.get({ teamId, hostId: otherHostId }))).toBe("NOT_FOUND");
    expect(await trpcCode(as(admin).hosts.revoke({ teamId, hostId: otherHostId }))).toBe("NOT_FOUND");
    const updated = await as(admin).hosts.update({
      teamId,
      hostId: host.id,
      labels: { role: "db" },
      policy: { allowPrivileged: true },
    });
    expect(updated.labels).toEqual({ role: "db" });
    expect(updated.policy).toMatchObject({ allowPrivileged: true, allowDockerSocket: false });
    expect(
      await trpcCode(as(admin).hosts.update({ teamId, hostId: host.id, labels: { "Bad Key": "x" } })),
    ).toBe("BAD_REQUEST");
    expect((await as(admin).hosts.revoke({ teamId, hostId: host.id })).status).toBe("REVOKED");
    expect((await db.prisma.host.findFirstOrThrow({ where: { id: otherHostId } })).status).toBe("ONLINE");
  });
});
