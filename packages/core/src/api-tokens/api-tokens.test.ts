// Team API tokens on real PostgreSQL: shown once and stored as sha256 only, role ceiling, list
// and audit never carry the token, revocation and expiry refuse the next authentication.
import { createHash } from "node:crypto";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestMember, createTestTeam } from "../../test/fixtures";
import type { TeamActor } from "../rbac/team-actor";
import { authenticateApiToken } from "./authenticate-api-token";
import { createApiToken } from "./create-api-token";
import { listApiTokens } from "./list-api-tokens";
import { revokeApiToken } from "./revoke-api-token";

const ok = requireComponents("core/api-tokens", await postgresAvailable());

describe.skipIf(!ok)("API tokens", () => {
  let db: TestDatabase;
  let admin: TeamActor;
  let deployer: TeamActor;
  let otherOwner: TeamActor;

  beforeAll(async () => {
    db = await createTestDatabase();
    const team = await createTestTeam(db.prisma, "Main");
    admin = (await createTestMember(db.prisma, team.id, "ADMIN")).actor;
    deployer = (await createTestMember(db.prisma, team.id, "DEPLOYER")).actor;
    otherOwner = (await createTestMember(db.prisma, (await createTestTeam(db.prisma, "Other")).id, "OWNER"))
      .actor;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("shows the token once, stores only its sha256, and authenticates it", async () => {
    const created = await createApiToken(db.prisma, admin, { name: "ci-deploy", role: "DEPLOYER" });
    expect(created.token).toMatch(/^cst_[A-Za-z0-9_-]{43}$/);
    expect(created.prefix).toBe(created.token.slice(0, 12));
    const row = await db.prisma.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.tokenHash).toBe(createHash("sha256").update(created.token).digest("hex"));
    // The token itself is nowhere in the database: not in the row, not in the audit log.
    const dump = JSON.stringify(
      [row, await db.prisma.auditEvent.findMany({ where: { teamId: admin.teamId } })],
      (_k, v) => (typeof v === "bigint" ? v.toString() : v),
    );
    expect(dump).not.toContain(created.token);
    expect(dump).not.toContain(created.token.slice(12));

    const principal = await authenticateApiToken(db.prisma, `Bearer ${created.token}`);
    expect(principal).toMatchObject({
      tokenId: created.id,
      teamId: admin.teamId,
      role: "DEPLOYER",
      name: "ci-deploy",
    });
    expect(principal.actor).toEqual({ type: "API_TOKEN", id: created.id, label: "ci-deploy" });
    expect(
      (await db.prisma.apiToken.findUniqueOrThrow({ where: { id: created.id } })).lastUsedAt,
    ).not.toBeNull();

    const listed = await listApiTokens(db.prisma, { teamId: admin.teamId });
    expect(listed).toEqual([
      expect.objectContaining({ id: created.id, name: "ci-deploy", role: "DEPLOYER" }),
    ]);
    expect(JSON.stringify(listed)).not.toContain(row.tokenHash);
    expect(listed[0]).not.toHaveProperty("token");
    expect(listed[0]!.createdBy?.email).toBe(admin.email);
  });

  it("refuses malformed, unknown, revoked and expired tokens with one message", async () => {
    const created = await createApiToken(db.prisma, admin, {
      name: "short-lived",
      role: "VIEWER",
      expiresInDays: 1,
    });
    const unknown = `cst_${"A".repeat(43)}`;
    for (const bad of [null, "", "Bearer", "cst_short", unknown, `${created.token}x`]) {
      const error = await appError(authenticateApiToken(db.prisma, bad));
      expect([error.code, error.message]).toEqual([
        "UNAUTHENTICATED",
        "Invalid, expired or revoked API token.",
      ]);
    }
    await db.prisma.apiToken.update({
      where: { id: created.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect((await appError(authenticateApiToken(db.prisma, created.token))).code).toBe("UNAUTHENTICATED");

    const live = await createApiToken(db.prisma, admin, { name: "to-revoke", role: "VIEWER" });
    await expect(authenticateApiToken(db.prisma, live.token)).resolves.toMatchObject({ tokenId: live.id });
    const revoked = await revokeApiToken(db.prisma, admin, { tokenId: live.id });
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    expect((await appError(authenticateApiToken(db.prisma, live.token))).code).toBe("UNAUTHENTICATED");
    // Revoking again is harmless and writes no second event.
    await revokeApiToken(db.prisma, admin, { tokenId: live.id });
    expect(
      await db.prisma.auditEvent.count({ where: { kind: "api_token.revoked", targetId: live.id } }),
    ).toBe(1);
    // Active tokens are listed before revoked and expired ones.
    const listed = await listApiTokens(db.prisma, { teamId: admin.teamId });
    expect(listed.at(-1)?.revokedAt ?? listed.at(-1)?.expiresAt).toBeTruthy();
    expect(listed[0]!.revokedAt).toBeNull();
  });

  it("caps the role at the creator's own and validates names and expiry", async () => {
    expect((await appError(createApiToken(db.prisma, deployer, { name: "x", role: "ADMIN" }))).code).toBe(
      "FORBIDDEN",
    );
    expect((await appError(createApiToken(db.prisma, admin, { name: "x", role: "OWNER" }))).code).toBe(
      "FORBIDDEN",
    );
    expect((await appError(createApiToken(db.prisma, admin, { name: " ", role: "VIEWER" }))).code).toBe(
      "BAD_REQUEST",
    );
    expect((await appError(createApiToken(db.prisma, admin, { name: "a\nb", role: "VIEWER" }))).code).toBe(
      "BAD_REQUEST",
    );
    expect(
      (await appError(createApiToken(db.prisma, admin, { name: "ok", role: "VIEWER", expiresInDays: 0 })))
        .code,
    ).toBe("BAD_REQUEST");
  });

  it("answers another team's token like a missing one", async () => {
    const mine = await createApiToken(db.prisma, admin, { name: "mine", role: "VIEWER" });
    const cross = await appError(revokeApiToken(db.prisma, otherOwner, { tokenId: mine.id }));
    const missing = await appError(
      revokeApiToken(db.prisma, otherOwner, { tokenId: "00000000-0000-4000-8000-000000000000" }),
    );
    expect([cross.code, cross.message]).toEqual([missing.code, missing.message]);
    expect(cross.code).toBe("NOT_FOUND");
    await expect(authenticateApiToken(db.prisma, mine.token)).resolves.toMatchObject({
      teamId: admin.teamId,
    });
    expect(await listApiTokens(db.prisma, { teamId: otherOwner.teamId })).toEqual([]);
  });
});
