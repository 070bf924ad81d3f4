// Agent upgrades on the control-plane side, against real PostgreSQL: requesting (with the reasons
// a host is skipped), the order riding on heartbeat answers until the agent reports, the
// outcome and its audit trail, one open upgrade per host under concurrency, and the fleet view.
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresComponent } from "../../test/fixtures";
import type { AgentRelease } from "../agents/get-agent-release";
import { createTestHost, createTestTeam } from "../deployments/test-fixtures";
import { recordHeartbeat } from "../hosts/record-heartbeat";
import { listFleet } from "./list-fleet";
import { requestAgentUpgrades } from "./request-agent-upgrades";

const ok = requireComponents("core/fleet", await postgresComponent());

const release: AgentRelease = {
  version: "0.2.0",
  executableSha256: { x64: "a".repeat(64) },
  bundleSha256: "b".repeat(64),
};
const actor = { type: "SYSTEM" as const, label: "fleet test" };
const settings = { heartbeatIntervalSeconds: 15 };

describe.skipIf(!ok)("agent upgrades", () => {
  let db: TestDatabase;
  let teamId: string;
  const beat = (
    hostId: string,
    agentVersion: string,
    upgrade?: Parameters<typeof recordHeartbeat>[1]["request"]["upgrade"],
  ) =>
    recordHeartbeat(db.prisma, {
      hostId,
      request: { agentVersion, services: [], facts: { arch: "x64" } as never, upgrade },
      settings,
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma)).id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("orders an outdated host, sends the order until the agent reports, and records the outcome", async () => {
    const host = await createTestHost(db.prisma, teamId);
    await beat(host.id, "0.1.0");
    const result = await requestAgentUpgrades(db.prisma, {
      teamId,
      hostIds: [host.id],
      actor,
      release,
      deadlineSeconds: 90,
    });
    expect(result.skipped).toEqual([]);
    expect(result.requested).toMatchObject([{ hostId: host.id, toVersion: "0.2.0" }]);
    const id = result.requested[0]!.upgradeId;

    const first = await beat(host.id, "0.1.0");
    expect(first.upgrade).toEqual({
      id,
      version: "0.2.0",
      executableSha256: "a".repeat(64),
      bundleSha256: "b".repeat(64),
      deadlineSeconds: 90,
    });
    const sent = await db.prisma.agentUpgrade.findUniqueOrThrow({ where: { id } });
    expect(sent.status).toBe("IN_PROGRESS");
    expect(sent.sentAt).not.toBeNull();
    // Repeated while the agent has not reported (the agent ignores an order it already has).
    expect((await beat(host.id, "0.1.0")).upgrade?.id).toBe(id);

    // The new version's check-in carries the outcome; the order stops.
    const after = await beat(host.id, "0.2.0", { id, state: "succeeded" });
    expect(after.upgrade).toBeUndefined();
    const done = await db.prisma.agentUpgrade.findUniqueOrThrow({ where: { id } });
    expect(done).toMatchObject({ status: "SUCCEEDED", fromVersion: "0.1.0", toVersion: "0.2.0" });
    expect(done.finishedAt).not.toBeNull();
    expect((await db.prisma.host.findUniqueOrThrow({ where: { id: host.id } })).agentVersion).toBe("0.2.0");

    // A repeated report changes nothing; the audit log has one event per transition.
    await beat(host.id, "0.2.0", { id, state: "succeeded" });
    const kinds = (
      await db.prisma.auditEvent.findMany({ where: { targetId: host.id }, orderBy: { id: "asc" } })
    ).map((e) => [e.kind, e.actorType]);
    expect(kinds).toEqual([
      ["agent.upgrade_requested", "SYSTEM"],
      ["agent.upgrade_succeeded", "AGENT"],
    ]);
  });

  it("records a rollback reported by the restored agent, with its reason", async () => {
    const host = await createTestHost(db.prisma, teamId);
    await beat(host.id, "0.1.0");
    const { requested } = await requestAgentUpgrades(db.prisma, {
      teamId,
      hostIds: [host.id],
      actor,
      release,
      deadlineSeconds: 30,
    });
    const id = requested[0]!.upgradeId;
    await beat(host.id, "0.1.0");
    const detail = "version 0.2.0 did not check in within 30 s; version 0.1.0 was restored";
    const answer = await beat(host.id, "0.1.0", { id, state: "rolled-back", detail });
    expect(answer.upgrade).toBeUndefined();
    expect(await db.prisma.agentUpgrade.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: "ROLLED_BACK",
      detail,
    });
    // Another host's report for this upgrade id is ignored.
    const other = await createTestHost(db.prisma, teamId);
    await beat(other.id, "0.1.0", { id, state: "succeeded" });
    expect((await db.prisma.agentUpgrade.findUniqueOrThrow({ where: { id } })).status).toBe("ROLLED_BACK");
  });

  it("skips hosts that cannot be upgraded now and says why", async () => {
    const current = await createTestHost(db.prisma, teamId);
    await beat(current.id, "0.2.0");
    const fresh = await createTestHost(db.prisma, teamId); // never heartbeated: no version
    const revoked = await createTestHost(db.prisma, teamId);
    await beat(revoked.id, "0.1.0");
    await db.prisma.host.update({ where: { id: revoked.id }, data: { status: "REVOKED" } });
    const busy = await createTestHost(db.prisma, teamId);
    await beat(busy.id, "0.1.0");
    await requestAgentUpgrades(db.prisma, {
      teamId,
      hostIds: [busy.id],
      actor,
      release,
      deadlineSeconds: 60,
    });

    const result = await requestAgentUpgrades(db.prisma, {
      teamId,
      hostIds: [current.id, fresh.id, revoked.id, busy.id],
      actor,
      release,
      deadlineSeconds: 60,
    });
    expect(result.requested).toEqual([]);
    const reasons = Object.fromEntries(result.skipped.map((s) => [s.hostId, s.reason]));
    expect(reasons).toEqual({
      [current.id]: "it already runs 0.2.0",
      [fresh.id]: "the host's agent has not checked in yet",
      [revoked.id]: "the host is revoked",
      [busy.id]: "an upgrade to 0.2.0 is already under way",
    });
  });

  it("refuses without a served version, with nothing chosen, and for another team's host", async () => {
    const host = await createTestHost(db.prisma, teamId);
    await expect(
      requestAgentUpgrades(db.prisma, {
        teamId,
        hostIds: [host.id],
        actor,
        release: { ...release, version: null },
        deadlineSeconds: 60,
      }),
    ).rejects.toThrow(/no VERSION file.*npm run build -w @capstan\/agent/);
    await expect(
      requestAgentUpgrades(db.prisma, { teamId, hostIds: [], actor, release, deadlineSeconds: 60 }),
    ).rejects.toThrow(/at least one host/);
    const otherTeam = (await createTestTeam(db.prisma)).id;
    const foreign = await createTestHost(db.prisma, otherTeam);
    await expect(
      requestAgentUpgrades(db.prisma, { teamId, hostIds: [foreign.id], actor, release, deadlineSeconds: 60 }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await db.prisma.agentUpgrade.count({ where: { hostId: foreign.id } })).toBe(0);
  });

  it("opens one upgrade per host when two requests race", async () => {
    const host = await createTestHost(db.prisma, teamId);
    await beat(host.id, "0.1.0");
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        requestAgentUpgrades(db.prisma, { teamId, hostIds: [host.id], actor, release, deadlineSeconds: 60 }),
      ),
    );
    expect(results.flatMap((r) => r.requested)).toHaveLength(1);
    expect(results.flatMap((r) => r.skipped)).toHaveLength(2);
    expect(await db.prisma.agentUpgrade.count({ where: { hostId: host.id } })).toBe(1);
  });

  it("lists hosts per version with their latest upgrade", async () => {
    const team = (await createTestTeam(db.prisma)).id;
    const [a, b, c] = [
      await createTestHost(db.prisma, team, "a-host"),
      await createTestHost(db.prisma, team, "b-host"),
      await createTestHost(db.prisma, team, "c-host"),
    ];
    await beat(a!.id, "0.2.0");
    await beat(b!.id, "0.1.0");
    await beat(c!.id, "0.1.0");
    await requestAgentUpgrades(db.prisma, {
      teamId: team,
      hostIds: [c!.id],
      actor,
      release,
      deadlineSeconds: 60,
    });
    const fleet = await listFleet(db.prisma, { teamId: team, release });
    expect(fleet.release).toEqual({ version: "0.2.0", executables: ["linux-x64"], bundle: true });
    expect(fleet.versions).toEqual([
      { version: "0.2.0", hosts: 1, current: true },
      { version: "0.1.0", hosts: 2, current: false },
    ]);
    expect(fleet.hosts.map((h) => [h.name, h.agentVersion, h.upToDate, h.upgrade?.status ?? null])).toEqual([
      ["a-host", "0.2.0", true, null],
      ["b-host", "0.1.0", false, null],
      ["c-host", "0.1.0", false, "PENDING"],
    ]);
  });

  it("closes an order an old agent ignored, once its deadline and the grace period passed, and allows a new one", async () => {
    // A team of its own, so the hosts of the tests above do not show in its fleet view.
    const teamId = (await createTestTeam(db.prisma)).id;
    const host = await createTestHost(db.prisma, teamId);
    const oldAgentBeat = () => beat(host.id, "0.0.9");
    await oldAgentBeat();
    const { requested } = await requestAgentUpgrades(db.prisma, {
      teamId,
      hostIds: [host.id],
      actor,
      release,
      deadlineSeconds: 60,
    });
    const id = requested[0]!.upgradeId;
    expect((await oldAgentBeat()).upgrade?.id).toBe(id);
    // Just inside deadline + grace: still open, still sent.
    await db.prisma.agentUpgrade.update({ where: { id }, data: { sentAt: new Date(Date.now() - 350_000) } });
    expect((await oldAgentBeat()).upgrade?.id).toBe(id);
    // Past it: the next heartbeat closes it instead of sending it again.
    await db.prisma.agentUpgrade.update({ where: { id }, data: { sentAt: new Date(Date.now() - 370_000) } });
    expect((await oldAgentBeat()).upgrade).toBeUndefined();
    const closed = await db.prisma.agentUpgrade.findUniqueOrThrow({ where: { id } });
    expect(closed.status).toBe("FAILED");
    expect(closed.detail).toBe(
      "the agent did not report on this upgrade within 6 min of receiving it; an agent older than dashboard upgrades ignores the order: run the install script on the host to upgrade it",
    );
    expect(
      await db.prisma.auditEvent.count({ where: { targetId: host.id, kind: "agent.upgrade_failed" } }),
    ).toBe(1);

    // A host that went offline with an order under way: requesting again closes the stale one.
    const again = await requestAgentUpgrades(db.prisma, {
      teamId,
      hostIds: [host.id],
      actor,
      release,
      deadlineSeconds: 60,
    });
    const second = again.requested[0]!.upgradeId;
    await oldAgentBeat();
    await db.prisma.agentUpgrade.update({
      where: { id: second },
      data: { sentAt: new Date(Date.now() - 3_600_000) },
    });
    const third = await requestAgentUpgrades(db.prisma, {
      teamId,
      hostIds: [host.id],
      actor,
      release,
      deadlineSeconds: 60,
    });
    expect(third.skipped).toEqual([]);
    expect((await db.prisma.agentUpgrade.findUniqueOrThrow({ where: { id: second } })).status).toBe("FAILED");
    // And the fleet view does the same for what it shows.
    await oldAgentBeat();
    await db.prisma.agentUpgrade.update({
      where: { id: third.requested[0]!.upgradeId },
      data: { sentAt: new Date(Date.now() - 3_600_000) },
    });
    const fleet = await listFleet(db.prisma, { teamId, release });
    expect(fleet.hosts.find((h) => h.id === host.id)?.upgrade?.status).toBe("FAILED");
  });

  it("closes an overdue upgrade once when replicas race (heartbeats on one, the fleet view on another)", async () => {
    const teamId = (await createTestTeam(db.prisma)).id;
    const host = await createTestHost(db.prisma, teamId);
    await beat(host.id, "0.0.9");
    const { requested } = await requestAgentUpgrades(db.prisma, {
      teamId,
      hostIds: [host.id],
      actor,
      release,
      deadlineSeconds: 60,
    });
    const id = requested[0]!.upgradeId;
    expect((await beat(host.id, "0.0.9")).upgrade?.id).toBe(id); // sent: now under way
    await db.prisma.agentUpgrade.update({
      where: { id },
      data: { sentAt: new Date(Date.now() - 3_600_000) },
    });
    await Promise.all([
      ...Array.from({ length: 4 }, () => beat(host.id, "0.0.9")),
      ...Array.from({ length: 4 }, () => listFleet(db.prisma, { teamId, release })),
    ]);
    expect((await db.prisma.agentUpgrade.findUniqueOrThrow({ where: { id } })).status).toBe("FAILED");
    expect(
      await db.prisma.auditEvent.count({ where: { targetId: host.id, kind: "agent.upgrade_failed" } }),
    ).toBe(1);
  });
});
