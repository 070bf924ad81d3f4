// "Approve new hosts" on real PostgreSQL: a host enrolled while the setting is on claims no job
// (however many are queued for it) until an ADMIN approves it; then the queued job is claimed.
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { generateAgentKeyPair } from "@capstan/protocol";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestMember, createTestTeam, postgresComponent } from "../../test/fixtures";
import { createTestRevision, deployTo } from "../deployments/test-fixtures";
import { createEnrollmentToken } from "../enrollment/create-enrollment-token";
import { enrollHost } from "../enrollment/enroll-host";
import { claimNextJob } from "../jobs/claim-job";
import { auditActor } from "../rbac/team-actor";
import { setApproveNewHosts } from "../teams/set-approve-new-hosts";
import { approveHost } from "./approve-host";
import { keyFingerprint } from "./host-view";

const ok = requireComponents("core/host approval", await postgresComponent());

describe.skipIf(!ok)("approve new hosts", { timeout: 60_000 }, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function enroll(teamId: string, hostName: string) {
    const { token } = await createEnrollmentToken(db.prisma, {
      teamId,
      actor: { type: "SYSTEM", label: "test" },
      input: { hostName },
    });
    const publicKey = generateAgentKeyPair().publicKey;
    const host = await enrollHost(db.prisma, {
      token,
      publicKey,
      facts: { arch: "x64" },
      agentVersion: "0.1.0",
    });
    return { ...host, publicKey };
  }

  it("gives an unapproved host no job until an admin approves it, audited with its fingerprint", async () => {
    const team = await createTestTeam(db.prisma, "Approvals");
    const { actor: owner } = await createTestMember(db.prisma, team.id, "OWNER");
    await setApproveNewHosts(db.prisma, owner, { enabled: true });
    const host = await enroll(team.id, "new-box");
    const revision = await createTestRevision(db.prisma, team.id);
    await deployTo(db.prisma, team.id, revision.id, [host.hostId]);

    expect(await claimNextJob(db.prisma, { hostId: host.hostId, leaseSeconds: 30 })).toBeNull();
    expect(await db.prisma.job.count({ where: { hostId: host.hostId, state: "QUEUED" } })).toBe(1);

    const approved = await approveHost(db.prisma, {
      teamId: team.id,
      hostId: host.hostId,
      actor: auditActor(owner),
    });
    expect([approved.awaitingApproval, approved.approvedAt]).toEqual([false, expect.any(Date)]);
    expect(await claimNextJob(db.prisma, { hostId: host.hostId, leaseSeconds: 30 })).not.toBeNull();
    const events = await db.prisma.auditEvent.findMany({ where: { teamId: team.id, kind: "host.approved" } });
    expect(events.map((e) => e.data)).toEqual([
      { name: "new-box", keyFingerprint: keyFingerprint(host.publicKey) },
    ]);
    // Approving again changes nothing and writes no second event.
    await approveHost(db.prisma, { teamId: team.id, hostId: host.hostId, actor: auditActor(owner) });
    expect(await db.prisma.auditEvent.count({ where: { teamId: team.id, kind: "host.approved" } })).toBe(1);
  });

  it("leaves hosts of teams without the setting alone, and hides other teams' hosts", async () => {
    const team = await createTestTeam(db.prisma, "Open");
    const other = await createTestTeam(db.prisma, "Other");
    const { actor: stranger } = await createTestMember(db.prisma, other.id, "OWNER");
    const host = await enroll(team.id, "plain-box");
    expect((await db.prisma.host.findUniqueOrThrow({ where: { id: host.hostId } })).awaitingApproval).toBe(
      false,
    );
    const revision = await createTestRevision(db.prisma, team.id);
    await deployTo(db.prisma, team.id, revision.id, [host.hostId]);
    expect(await claimNextJob(db.prisma, { hostId: host.hostId, leaseSeconds: 30 })).not.toBeNull();
    const cross = await appError(
      approveHost(db.prisma, { teamId: other.id, hostId: host.hostId, actor: auditActor(stranger) }),
    );
    expect(cross.code).toBe("NOT_FOUND");
  });
});
