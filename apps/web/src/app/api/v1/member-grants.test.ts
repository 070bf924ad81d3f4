// The attack: an admin is removed (or demoted) but keeps working through the API token and the
// invitation link they made. Through the real public API route handlers and tRPC on PostgreSQL.
import { createTestTeam } from "@capstan/core/deployments/test-fixtures";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "@/server/trpc/root";
import { createTestMember } from "../../../../../../packages/core/test/fixtures";
import { trpcCode } from "../../../../test/trpc-code";

const ok = requireComponents("web/member-grants", await postgresAvailable());
const BASE = "http://capstan.test";

describe.skipIf(!ok)("a member's tokens and invitations follow their membership", () => {
  let db: TestDatabase;
  let dispatch: (request: Request) => Promise<Response>;
  let teamId: string;
  let ownerId: string;
  const as = (userId: string) => createCaller({ prisma: db.prisma, userId });
  const listHosts = (token: string) =>
    dispatch(new Request(`${BASE}/api/v1/hosts`, { headers: { authorization: `Bearer ${token}` } }));
  const cancel = (token: string) =>
    dispatch(
      new Request(`${BASE}/api/v1/deployments/00000000-0000-4000-8000-000000000000/cancel`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      }),
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    dispatch = await (await import("../../../../test/api-dispatch")).loadPublicApiRoutes();
    teamId = (await createTestTeam(db.prisma)).id;
    ownerId = (await createTestMember(db.prisma, teamId, "OWNER")).user.id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("a removed admin's token answers 401 on the next call and their invitation link is dead", async () => {
    const admin = await createTestMember(db.prisma, teamId, "ADMIN", "leaving-admin");
    const { token } = await as(admin.user.id).tokens.create({ teamId, name: "ci", role: "ADMIN" });
    const invitation = await as(admin.user.id).team.createInvitation({ teamId, role: "ADMIN" });
    const bystander = await as(ownerId).tokens.create({ teamId, name: "owner-ci", role: "ADMIN" });
    expect((await listHosts(token)).status).toBe(200);

    await as(ownerId).team.removeMember({ teamId, membershipId: admin.membership.id });

    const refused = await listHosts(token);
    expect(refused.status).toBe(401);
    expect((await refused.json()).error.message).toBe("Invalid, expired or revoked API token.");
    // Revoked in the removal's transaction (not just refused by the membership check), and audited.
    const row = await db.prisma.apiToken.findFirstOrThrow({ where: { teamId, name: "ci" } });
    expect(row.revokedAt).not.toBeNull();
    const events = await db.prisma.auditEvent.findMany({
      where: { teamId, kind: { in: ["api_token.revoked", "invitation.revoked", "member.removed"] } },
    });
    expect(events.map((e) => [e.kind, e.targetId]).sort()).toEqual(
      [
        ["api_token.revoked", row.id],
        ["invitation.revoked", invitation.id],
        ["member.removed", admin.user.id],
      ].sort(),
    );

    // The link they sent before leaving neither previews nor joins anyone.
    expect(await trpcCode(createCaller({ prisma: db.prisma, userId: null }).invitation.get(invitation))).toBe(
      "PRECONDITION_FAILED",
    );
    const joined = createCaller({ prisma: db.prisma, userId: null }).invitation.acceptAsNewUser({
      token: invitation.token,
      email: "accomplice@example.test",
      password: "a-long-enough-passphrase",
    });
    expect(await trpcCode(joined)).toBe("PRECONDITION_FAILED");
    expect(await db.prisma.user.count({ where: { email: "accomplice@example.test" } })).toBe(0);

    // Another member's token is untouched.
    expect((await listHosts(bystander.token)).status).toBe(200);
  });

  it("a token acts with min(its role, its creator's current role), checked on every call", async () => {
    const admin = await createTestMember(db.prisma, teamId, "ADMIN", "demoted-admin");
    const { token } = await as(admin.user.id).tokens.create({
      teamId,
      name: "ci-deployer",
      role: "DEPLOYER",
    });
    const invitation = await as(admin.user.id).team.createInvitation({ teamId, role: "DEPLOYER" });
    const viewerInvite = await as(admin.user.id).team.createInvitation({ teamId, role: "VIEWER" });
    // A DEPLOYER token may cancel: the missing deployment answers 404, not 403.
    expect((await cancel(token)).status).toBe(404);

    await as(ownerId).team.changeMemberRole({ teamId, membershipId: admin.membership.id, role: "VIEWER" });
    const capped = await cancel(token);
    expect(capped.status).toBe(403);
    expect((await capped.json()).error.message).toContain("this one is VIEWER");
    expect((await listHosts(token)).status).toBe(200);
    // The DEPLOYER invitation is now above its maker's role; the VIEWER one still works.
    expect(await trpcCode(createCaller({ prisma: db.prisma, userId: null }).invitation.get(invitation))).toBe(
      "PRECONDITION_FAILED",
    );
    await expect(
      createCaller({ prisma: db.prisma, userId: null }).invitation.get(viewerInvite),
    ).resolves.toMatchObject({ role: "VIEWER" });

    // Raising the role again restores the token (it was capped, not revoked).
    await as(ownerId).team.changeMemberRole({ teamId, membershipId: admin.membership.id, role: "ADMIN" });
    expect((await cancel(token)).status).toBe(404);
  });
});
