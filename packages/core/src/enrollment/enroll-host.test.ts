import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { generateAgentKeyPair } from "@capstan/protocol";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresComponent } from "../../test/fixtures";
import { createTestTeam } from "../deployments/test-fixtures";
import { createEnrollmentToken } from "./create-enrollment-token";
import { enrollHost } from "./enroll-host";
import { listEnrollmentTokens } from "./list-enrollment-tokens";
import { revokeEnrollmentToken } from "./revoke-enrollment-token";

const ok = requireComponents("core/enrollment", await postgresComponent());
const admin = { type: "USER" as const, id: null, label: "admin@example.test" };

function enrollRequest(token: string, hostName?: string) {
  return {
    token,
    publicKey: generateAgentKeyPair().publicKey,
    facts: { hostname: "Web-01.example", arch: "x64" },
    agentVersion: "0.1.0",
    ...(hostName ? { hostName } : {}),
  };
}

describe.skipIf(!ok)("enrollment tokens", () => {
  let db: TestDatabase;
  let teamId: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma)).id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("stores only a hash, lists without the secret, and enrolls once with the pre-set name and labels", async () => {
    const created = await createEnrollmentToken(db.prisma, {
      teamId,
      actor: admin,
      input: { hostName: "web-1", labels: { role: "web" } },
    });
    expect(created.token).toMatch(/^cst_enr_/);
    const stored = await db.prisma.enrollmentToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(stored.tokenHash).not.toContain(created.token);
    expect(stored.expiresAt.getTime() - stored.createdAt.getTime()).toBeGreaterThan(3590_000);
    expect(JSON.stringify(await listEnrollmentTokens(db.prisma, { teamId }))).not.toContain(created.token);
    expect(JSON.stringify(await listEnrollmentTokens(db.prisma, { teamId }))).not.toContain(stored.tokenHash);

    const request = enrollRequest(created.token);
    const host = await enrollHost(db.prisma, request);
    expect(host).toMatchObject({ teamId, hostName: "web-1", labels: { role: "web" }, status: "PENDING" });
    const row = await db.prisma.host.findUniqueOrThrow({ where: { id: host.hostId } });
    expect(row.publicKey).toBe(request.publicKey);
    const audit = await db.prisma.auditEvent.findFirst({
      where: { kind: "host.enrolled", targetId: host.hostId },
    });
    expect(audit?.teamId).toBe(teamId);
    const [listed] = await listEnrollmentTokens(db.prisma, { teamId });
    expect(listed?.status).toBe("USED");

    await expect(enrollHost(db.prisma, enrollRequest(created.token))).rejects.toMatchObject({
      code: "GONE",
      details: { reason: "TOKEN_USED" },
    });
  });

  it("answers an agent retrying after a lost answer with the same host, and nobody else", async () => {
    const created = await createEnrollmentToken(db.prisma, {
      teamId,
      actor: admin,
      input: { labels: { env: "lost" } },
    });
    const request = enrollRequest(created.token, "lost-answer");
    const first = await enrollHost(db.prisma, request);
    // The same agent (same token, same key) retries: one host, the same answer, no second audit row.
    await expect(enrollHost(db.prisma, request)).resolves.toEqual(first);
    expect(await db.prisma.host.count({ where: { publicKey: request.publicKey } })).toBe(1);
    expect(
      await db.prisma.auditEvent.count({ where: { kind: "host.enrolled", targetId: first.hostId } }),
    ).toBe(1);

    // Someone else with the used token and their own key: refused as before.
    await expect(enrollHost(db.prisma, enrollRequest(created.token, "intruder"))).rejects.toMatchObject({
      details: { reason: "TOKEN_USED" },
    });
    // Once the host has been heard from, or was revoked, the token is spent for everyone.
    await db.prisma.host.update({ where: { id: first.hostId }, data: { lastSeenAt: new Date() } });
    await expect(enrollHost(db.prisma, request)).rejects.toMatchObject({ details: { reason: "TOKEN_USED" } });
    await db.prisma.host.update({
      where: { id: first.hostId },
      data: { lastSeenAt: null, status: "REVOKED" },
    });
    await expect(enrollHost(db.prisma, request)).rejects.toMatchObject({ details: { reason: "TOKEN_USED" } });
  });

  it("refuses expired, revoked and unknown tokens with clear errors", async () => {
    const expired = await createEnrollmentToken(db.prisma, { teamId, actor: admin, input: {} });
    await db.prisma.enrollmentToken.update({
      where: { id: expired.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await expect(enrollHost(db.prisma, enrollRequest(expired.token))).rejects.toMatchObject({
      code: "GONE",
      details: { reason: "TOKEN_EXPIRED" },
      message: expect.stringMatching(/expired/),
    });

    const revoked = await createEnrollmentToken(db.prisma, { teamId, actor: admin, input: {} });
    await revokeEnrollmentToken(db.prisma, { teamId, tokenId: revoked.id, actor: admin });
    await expect(enrollHost(db.prisma, enrollRequest(revoked.token))).rejects.toMatchObject({
      code: "GONE",
      details: { reason: "TOKEN_REVOKED" },
    });

    const unknown = `cst_enr_${"A".repeat(43)}`;
    await expect(enrollHost(db.prisma, enrollRequest(unknown))).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      details: { reason: "TOKEN_UNKNOWN" },
    });
    expect(
      await db.prisma.host.count({
        where: { teamId, enrollmentToken: { id: { in: [expired.id, revoked.id] } } },
      }),
    ).toBe(0);
  });

  it("lets exactly one of many agents racing with one token enroll", async () => {
    const created = await createEnrollmentToken(db.prisma, { teamId, actor: admin, input: {} });
    const before = await db.prisma.host.count({ where: { teamId } });
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => enrollHost(db.prisma, enrollRequest(created.token, `racer-${i}`))),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(11);
    for (const r of lost)
      expect((r as PromiseRejectedResult).reason).toMatchObject({ details: { reason: "TOKEN_USED" } });
    expect(await db.prisma.host.count({ where: { teamId } })).toBe(before + 1);
  });

  it("keeps the token usable when the pre-set host name is taken, and refuses a reused key", async () => {
    const first = await createEnrollmentToken(db.prisma, {
      teamId,
      actor: admin,
      input: { hostName: "db-1" },
    });
    const request = enrollRequest(first.token);
    await enrollHost(db.prisma, request);
    const second = await createEnrollmentToken(db.prisma, { teamId, actor: admin, input: {} });
    await expect(
      enrollHost(db.prisma, { ...enrollRequest(second.token), publicKey: request.publicKey }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
    // The failed attempt rolled back: the token still works.
    const host = await enrollHost(db.prisma, enrollRequest(second.token));
    expect(host.hostName).toBe("web-01.example");
  });
});
