import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestMember, postgresComponent } from "../../test/fixtures";
import { cancelDeployment } from "../deployments/cancel-deployment";
import { deploy } from "../deployments/deploy";
import { createTestHost, createTestRevision, createTestTeam } from "../deployments/test-fixtures";
import { openLogStream } from "../log-streams/open-log-stream";
import { runServiceAction } from "../services/run-service-action";
import { deleteEnvironment } from "./delete-environment";
import { parseSelector } from "./environment-selector";
import { listEnvironments } from "./list-environments";
import { environmentRoles } from "./require-environment-role";
import { saveEnvironment } from "./save-environment";
import { setEnvironmentRole } from "./set-environment-role";

describe("parseSelector", () => {
  it("reads key=value pairs separated by commas or spaces", () => {
    expect(parseSelector(" env=production, tier=web ")).toEqual({ env: "production", tier: "web" });
  });

  it.each(["", "env", "env=a=b", "Env=prod", "env=prod;rm", "env=a env=b", "$(id)=x"])(
    "refuses %j with a way to fix it",
    (text) => {
      expect(() => parseSelector(text)).toThrow(/key=value|twice/);
    },
  );
});

const ok = requireComponents("core/environments", await postgresComponent());

describe.skipIf(!ok)("environments", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  /** A team with a production and a staging host, an ADMIN, and a DEPLOYER narrowed to VIEWER on production. */
  async function setUp() {
    const prisma = db.prisma;
    const team = await createTestTeam(prisma);
    const admin = await createTestMember(prisma, team.id, "ADMIN");
    const deployer = await createTestMember(prisma, team.id, "DEPLOYER");
    const prod = await createTestHost(prisma, team.id);
    const staging = await createTestHost(prisma, team.id);
    await prisma.host.update({
      where: { id: prod.id },
      data: { labels: { role: "web", env: "production" } },
    });
    await prisma.host.update({
      where: { id: staging.id },
      data: { labels: { role: "web", env: "staging" } },
    });
    const production = await saveEnvironment(prisma, admin.actor, {
      name: "Production",
      selector: "env=production",
    });
    await saveEnvironment(prisma, admin.actor, { name: "staging", selector: "env=staging" });
    await setEnvironmentRole(prisma, admin.actor, {
      environmentId: production.id,
      membershipId: deployer.membership.id,
      role: "VIEWER",
    });
    const revision = await createTestRevision(prisma, team.id);
    const caller = { userId: deployer.user.id, role: "DEPLOYER" as const };
    return { team, admin, deployer, prod, staging, production, revision, caller };
  }

  it("lists environments with their hosts and narrowed members, and audits every change", async () => {
    const { team, deployer, production } = await setUp();
    const list = await listEnvironments(db.prisma, { teamId: team.id });
    expect(list.map((e) => [e.slug, e.selector, e.hostCount])).toEqual([
      ["production", "env=production", 1],
      ["staging", "env=staging", 1],
    ]);
    expect(list[0]!.roles).toEqual([
      {
        membershipId: deployer.membership.id,
        email: deployer.user.email,
        teamRole: "DEPLOYER",
        role: "VIEWER",
      },
    ]);
    const kinds = await db.prisma.auditEvent.findMany({
      where: { teamId: team.id, kind: { startsWith: "environment." } },
      select: { kind: true },
    });
    expect(kinds.map((k) => k.kind).sort()).toEqual([
      "environment.created",
      "environment.created",
      "environment.role_set",
    ]);
    expect(production.slug).toBe("production");
  });

  it("refuses a duplicate name, a role that does not narrow, and an ADMIN narrowing an OWNER", async () => {
    const { team, admin, deployer, production } = await setUp();
    const owner = await createTestMember(db.prisma, team.id, "OWNER");
    expect(
      await appError(saveEnvironment(db.prisma, admin.actor, { name: "production", selector: "env=x" })),
    ).toMatchObject({ code: "CONFLICT" });
    const set = (membershipId: string, role: "ADMIN" | "DEPLOYER" | "VIEWER") =>
      setEnvironmentRole(db.prisma, admin.actor, { environmentId: production.id, membershipId, role });
    expect(await appError(set(deployer.membership.id, "DEPLOYER"))).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("below this member's team role (DEPLOYER)"),
    });
    expect(await appError(set(deployer.membership.id, "ADMIN"))).toMatchObject({ code: "BAD_REQUEST" });
    expect(await appError(set(owner.membership.id, "VIEWER"))).toMatchObject({ code: "FORBIDDEN" });
    await expect(
      setEnvironmentRole(db.prisma, owner.actor, {
        environmentId: production.id,
        membershipId: owner.membership.id,
        role: "ADMIN",
      }),
    ).resolves.toMatchObject({ role: "ADMIN" });
  });

  it("answers another team's environment and member ids like missing ones", async () => {
    const a = await setUp();
    const b = await setUp();
    const calls = [
      () =>
        saveEnvironment(db.prisma, a.admin.actor, {
          environmentId: b.production.id,
          name: "x",
          selector: "env=x",
        }),
      () => deleteEnvironment(db.prisma, a.admin.actor, { environmentId: b.production.id }),
      () =>
        setEnvironmentRole(db.prisma, a.admin.actor, {
          environmentId: b.production.id,
          membershipId: a.deployer.membership.id,
          role: null,
        }),
      () =>
        setEnvironmentRole(db.prisma, a.admin.actor, {
          environmentId: a.production.id,
          membershipId: b.deployer.membership.id,
          role: "VIEWER",
        }),
    ];
    for (const call of calls) expect(await appError(call())).toMatchObject({ code: "NOT_FOUND" });
    expect(await db.prisma.environment.count({ where: { id: b.production.id, name: "Production" } })).toBe(1);
    expect(
      (await environmentRoles(db.prisma, { ...b.caller, teamId: b.team.id, hostIds: [b.prod.id] }))[0],
    ).toMatchObject({ environment: "Production", role: "VIEWER" });
  });

  it("refuses a narrowed DEPLOYER's deploy to production, allows staging, and nothing is written", async () => {
    const { team, prod, staging, revision, caller } = await setUp();
    const deployTo = (hostIds: string[]) =>
      deploy(db.prisma, { teamId: team.id, revision: revision.id, hostIds, actor: { type: "USER" }, caller });
    const refused = await appError(deployTo([staging.id, prod.id]));
    expect(refused).toMatchObject({ code: "FORBIDDEN" });
    expect(refused.message).toContain(
      `on ${prod.name} you need the DEPLOYER role on the Production environment`,
    );
    // The workflow's targets select both hosts: the default deploy is refused too.
    expect(
      await appError(
        deploy(db.prisma, { teamId: team.id, revision: revision.id, actor: { type: "USER" }, caller }),
      ),
    ).toMatchObject({ code: "FORBIDDEN" });
    expect(await db.prisma.deployment.count({ where: { teamId: team.id } })).toBe(0);
    const allowed = await deployTo([staging.id]);
    expect(allowed.created).toBe(true);
  });

  it("sees a role change at once: cleared narrowing deploys, a narrowed one cannot cancel production", async () => {
    const { team, admin, deployer, prod, production, revision, caller } = await setUp();
    const narrow = (role: "VIEWER" | null) =>
      setEnvironmentRole(db.prisma, admin.actor, {
        environmentId: production.id,
        membershipId: deployer.membership.id,
        role,
      });
    await narrow(null);
    const { deployment } = await deploy(db.prisma, {
      teamId: team.id,
      revision: revision.id,
      hostIds: [prod.id],
      actor: { type: "USER" },
      caller,
    });
    await narrow("VIEWER");
    expect(
      await appError(
        cancelDeployment(db.prisma, {
          teamId: team.id,
          deploymentId: deployment.id,
          actor: { type: "USER" },
          caller,
        }),
      ),
    ).toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("To cancel this deployment") });
    expect(await db.prisma.job.count({ where: { deploymentId: deployment.id, state: "QUEUED" } })).toBe(1);
    // The team's own call (no member) is not narrowed.
    await expect(
      cancelDeployment(db.prisma, {
        teamId: team.id,
        deploymentId: deployment.id,
        actor: { type: "SYSTEM" },
        caller: null,
      }),
    ).resolves.toMatchObject({ cancelledJobs: 1 });
  });

  it("refuses a narrowed member's service action and live logs on production before anything is looked up", async () => {
    const { team, deployer, prod } = await setUp();
    const restart = await appError(
      runServiceAction(db.prisma, {
        teamId: team.id,
        role: "DEPLOYER",
        userId: deployer.user.id,
        actor: { type: "USER" },
        hostId: prod.id,
        workflow: "web",
        service: "app",
        action: "restart",
      }),
    );
    expect(restart).toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining("To restart web/app"),
    });
    const logs = await appError(
      openLogStream(db.prisma, {
        teamId: team.id,
        role: "DEPLOYER",
        userId: deployer.user.id,
        hostId: prod.id,
        workflow: "web",
        service: "app",
        viewer: { options: {} } as never,
      }),
    );
    expect(logs).toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("live logs") });
    expect(await db.prisma.logStream.count({ where: { teamId: team.id } })).toBe(0);
  });

  it("deletes an environment with its roles, after which the team role applies again", async () => {
    const { team, admin, production, prod, caller } = await setUp();
    await deleteEnvironment(db.prisma, admin.actor, { environmentId: production.id });
    expect(await db.prisma.environmentRole.count({ where: { environmentId: production.id } })).toBe(0);
    expect(await environmentRoles(db.prisma, { ...caller, teamId: team.id, hostIds: [prod.id] })).toEqual([]);
  });
});
