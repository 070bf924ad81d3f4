import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  appError,
  createTestMember,
  createTestTeam,
  createTestUser,
  postgresComponent,
} from "../../test/fixtures";
import { createTestHost, createTestRevision, deployTo } from "../deployments/test-fixtures";
import { setInstanceSettings } from "../instance/set-instance-settings";
import { changeTeamSlug } from "./change-team-slug";
import { createTeam } from "./create-team";
import { deleteTeam } from "./delete-team";
import { getTeam } from "./get-team";
import { listMyTeams } from "./list-my-teams";
import { renameTeam } from "./rename-team";
import { transferTeamOwnership } from "./transfer-team-ownership";

const ok = requireComponents("core/teams lifecycle", await postgresComponent());

describe.skipIf(!ok)("team lifecycle", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  const kinds = async (teamId: string | null) =>
    (await db.prisma.auditEvent.findMany({ where: { teamId }, orderBy: { id: "asc" } })).map((e) => e.kind);

  it("creates a team with its creator as OWNER, as the instance setting allows", async () => {
    const admin = await db.prisma.user.update({
      where: { id: (await createTestUser(db.prisma, "iadmin")).id },
      data: { instanceAdmin: true },
    });
    const user = await createTestUser(db.prisma, "plain");

    // Default: only instance admins.
    const refused = await appError(createTeam(db.prisma, user.id, { name: "Side Project" }));
    expect(refused).toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("instance admins") });
    expect(await db.prisma.team.count({ where: { name: "Side Project" } })).toBe(0);

    const team = await createTeam(db.prisma, admin.id, { name: "  Acme Ops  " });
    expect(team).toMatchObject({ name: "Acme Ops", slug: "acme-ops" });
    expect(await listMyTeams(db.prisma, admin.id)).toEqual([{ ...team, role: "OWNER" }]);
    expect(await kinds(team.id)).toEqual(["team.created"]);

    const taken = await appError(createTeam(db.prisma, admin.id, { name: "Acme  ops!" }));
    expect(taken).toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining('"acme-ops" is taken'),
    });

    await setInstanceSettings(
      db.prisma,
      { userId: admin.id, email: admin.email },
      { teamCreation: "ANY_USER" },
    );
    expect(await kinds(null)).toContain("instance.settings_changed");
    const own = await createTeam(db.prisma, user.id, { name: "Side Project", slug: "side" });
    expect((await getTeam(db.prisma, user.id, { teamId: own.id })).role).toBe("OWNER");
    expect(own.slug).toBe("side");
  });

  it("renames, changes the address (the old one stops resolving) and audits both", async () => {
    const team = await createTestTeam(db.prisma, "Renames");
    const { actor, user } = await createTestMember(db.prisma, team.id, "OWNER");
    const other = await createTestTeam(db.prisma, "Taken");

    await renameTeam(db.prisma, actor, { name: "Renamed Co" });
    await changeTeamSlug(db.prisma, actor, { slug: "renamed-co" });
    expect(await getTeam(db.prisma, user.id, { slug: "renamed-co" })).toMatchObject({ name: "Renamed Co" });
    expect(await appError(getTeam(db.prisma, user.id, { slug: team.slug }))).toMatchObject({
      code: "NOT_FOUND",
    });

    expect(await appError(changeTeamSlug(db.prisma, actor, { slug: other.slug }))).toMatchObject({
      code: "CONFLICT",
    });
    for (const bad of ["Upper", "-dash", "a/b", "x".repeat(64), ""])
      expect(await appError(changeTeamSlug(db.prisma, actor, { slug: bad }))).toMatchObject({
        code: "BAD_REQUEST",
      });
    expect(await appError(renameTeam(db.prisma, actor, { name: "   " }))).toMatchObject({
      code: "BAD_REQUEST",
    });

    const events = await db.prisma.auditEvent.findMany({
      where: { teamId: team.id },
      orderBy: { id: "asc" },
    });
    expect(events.map((e) => [e.kind, e.data])).toEqual([
      ["team.renamed", { from: "Renames", to: "Renamed Co" }],
      ["team.slug_changed", { from: team.slug, to: "renamed-co" }],
    ]);
  });

  it("transfers ownership to an existing member only, and the previous owner becomes ADMIN", async () => {
    const team = await createTestTeam(db.prisma, "Transfer");
    const owner = await createTestMember(db.prisma, team.id, "OWNER");
    const deployer = await createTestMember(db.prisma, team.id, "DEPLOYER");
    const admin = await createTestMember(db.prisma, team.id, "ADMIN");
    const elsewhere = await createTestMember(
      db.prisma,
      (await createTestTeam(db.prisma, "Else")).id,
      "VIEWER",
    );

    // Another team's membership id answers like a missing one.
    expect(
      await appError(
        transferTeamOwnership(db.prisma, owner.actor, { membershipId: elsewhere.membership.id }),
      ),
    ).toMatchObject({ code: "NOT_FOUND", message: "Member not found." });
    expect(
      await appError(transferTeamOwnership(db.prisma, admin.actor, { membershipId: deployer.membership.id })),
    ).toMatchObject({ code: "FORBIDDEN" });

    await transferTeamOwnership(db.prisma, owner.actor, { membershipId: deployer.membership.id });
    const roles = await db.prisma.membership.findMany({
      where: { teamId: team.id },
      select: { userId: true, role: true },
    });
    expect(Object.fromEntries(roles.map((r) => [r.userId, r.role]))).toEqual({
      [owner.user.id]: "ADMIN",
      [deployer.user.id]: "OWNER",
      [admin.user.id]: "ADMIN",
    });
    expect(await db.prisma.membership.findUnique({ where: { id: elsewhere.membership.id } })).toMatchObject({
      role: "VIEWER",
    });
    expect(await kinds(team.id)).toEqual(["team.ownership_transferred"]);
    // The former owner is now an ADMIN: a second transfer is theirs no longer.
    const demoted = { ...owner.actor, role: "ADMIN" as const };
    expect(
      await appError(transferTeamOwnership(db.prisma, demoted, { membershipId: admin.membership.id })),
    ).toMatchObject({ code: "FORBIDDEN" });
  });

  it("deletes only with the typed address and no live hosts, and says how many hosts to revoke", async () => {
    const team = await createTestTeam(db.prisma, "Doomed");
    const owner = await createTestMember(db.prisma, team.id, "OWNER");
    const hosts = [await createTestHost(db.prisma, team.id), await createTestHost(db.prisma, team.id)];
    const revision = await createTestRevision(db.prisma, team.id);
    await deployTo(
      db.prisma,
      team.id,
      revision.id,
      hosts.map((h) => h.id),
    );

    expect(await appError(deleteTeam(db.prisma, owner.actor, { confirmSlug: "doomed" }))).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining(`"${team.slug}"`),
    });
    const live = await appError(deleteTeam(db.prisma, owner.actor, { confirmSlug: team.slug }));
    expect(live).toMatchObject({ code: "CONFLICT", details: { liveHosts: 2 } });
    expect(live.message).toContain("2 hosts that are not revoked");
    expect(live.message).toContain("Revoke");

    await db.prisma.host.update({
      where: { id: hosts[0]!.id },
      data: { status: "REVOKED", revokedAt: new Date() },
    });
    expect(await appError(deleteTeam(db.prisma, owner.actor, { confirmSlug: team.slug }))).toMatchObject({
      message: expect.stringContaining("1 host that is not revoked"),
    });
    expect(await db.prisma.team.count({ where: { id: team.id } })).toBe(1);

    await db.prisma.host.update({
      where: { id: hosts[1]!.id },
      data: { status: "REVOKED", revokedAt: new Date() },
    });
    await deleteTeam(db.prisma, owner.actor, { confirmSlug: team.slug });
    expect(await db.prisma.team.count({ where: { id: team.id } })).toBe(0);
    expect(await db.prisma.host.count({ where: { teamId: team.id } })).toBe(0);
    expect(await db.prisma.user.count({ where: { id: owner.user.id } })).toBe(1);
    const deleted = await db.prisma.auditEvent.findFirstOrThrow({
      where: { kind: "team.deleted", targetId: team.id },
    });
    expect(deleted).toMatchObject({
      teamId: null,
      actorId: owner.user.id,
      data: { name: "Doomed", slug: team.slug },
    });
  });
});
