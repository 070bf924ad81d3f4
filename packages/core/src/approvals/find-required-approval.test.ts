// Which approval a deployment waits for: only protected environments count, and when the hosts
// touch several the strictest wins (the highest approver role, the shortest TTL). Bad protection
// settings are refused with the allowed range.
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestMember, postgresComponent } from "../../test/fixtures";
import { createTestHost, createTestTeam } from "../deployments/test-fixtures";
import { saveEnvironment } from "../environments/save-environment";
import { findRequiredApproval } from "./find-required-approval";

const ok = requireComponents("core/approvals", await postgresComponent());

describe.skipIf(!ok)("findRequiredApproval", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("asks for the strictest of the protected environments touched, and nothing for unprotected ones", async () => {
    const teamId = (await createTestTeam(db.prisma)).id;
    const { actor } = await createTestMember(db.prisma, teamId, "ADMIN");
    const host = async (labels: Record<string, string>) => {
      const h = await createTestHost(db.prisma, teamId);
      await db.prisma.host.update({ where: { id: h.id }, data: { labels } });
      return h.id;
    };
    const eu = await host({ env: "production", region: "eu" });
    const us = await host({ env: "production", region: "us" });
    const dev = await host({ env: "staging" });
    await saveEnvironment(db.prisma, actor, { name: "staging", selector: "env=staging" });
    await saveEnvironment(db.prisma, actor, {
      name: "production",
      selector: "env=production",
      requiresApproval: true,
      approverRole: "DEPLOYER",
      approvalTtlMinutes: 120,
    });
    await saveEnvironment(db.prisma, actor, {
      name: "prod-us",
      selector: "region=us",
      requiresApproval: true,
      approverRole: "OWNER",
      approvalTtlMinutes: 30,
    });
    const now = new Date("2026-12-03T12:00:00Z");
    expect(await findRequiredApproval(db.prisma, { teamId, hostIds: [dev], now })).toBeNull();
    expect(await findRequiredApproval(db.prisma, { teamId, hostIds: [dev, eu], now })).toEqual({
      environments: ["production"],
      role: "DEPLOYER",
      expiresAt: new Date("2026-12-03T14:00:00Z"),
    });
    expect(await findRequiredApproval(db.prisma, { teamId, hostIds: [eu, us], now })).toEqual({
      environments: ["prod-us", "production"],
      role: "OWNER",
      expiresAt: new Date("2026-12-03T12:30:00Z"),
    });
    // Another team's protected environment never applies to these hosts' team.
    const other = (await createTestTeam(db.prisma)).id;
    expect(await findRequiredApproval(db.prisma, { teamId: other, hostIds: [eu], now })).toBeNull();
  });

  it("refuses a TTL outside 5 minutes to 7 days, saying the range", async () => {
    const teamId = (await createTestTeam(db.prisma)).id;
    const { actor } = await createTestMember(db.prisma, teamId, "ADMIN");
    for (const approvalTtlMinutes of [0, 4, 10_081, 1.5]) {
      const error = await appError(
        saveEnvironment(db.prisma, actor, {
          name: "p",
          selector: "env=p",
          requiresApproval: true,
          approvalTtlMinutes,
        }),
      );
      expect(error.message).toContain("5 to 10080 minutes");
    }
    expect(await db.prisma.environment.count({ where: { teamId } })).toBe(0);
  });
});
