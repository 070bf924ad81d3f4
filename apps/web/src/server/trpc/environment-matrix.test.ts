// The authorization matrix's environment dimension: every tRPC procedure that changes what runs
// on a host, called by members of every team role narrowed to every lower role on a production
// environment, against a production host and a staging host. A call is allowed exactly when
// min(team role, role on the host's environment) reaches the procedure's minimum role
// (authorization-matrix.test.ts states those minimums).

import { createTestHost, createTestRevision, deployTo } from "@capstan/core/deployments/test-fixtures";
import { saveEnvironment } from "@capstan/core/environments/save-environment";
import { setEnvironmentRole } from "@capstan/core/environments/set-environment-role";
import { hasRole, lowerRole, ROLES } from "@capstan/core/rbac/roles";
import type { Role } from "@capstan/db";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestMember,
  createTestTeam,
  postgresComponent,
} from "../../../../../packages/core/test/fixtures";
import { runFakeAgentJob } from "../../../test/api-fixtures";
import { createCaller } from "./root";

const ok = requireComponents("web/trpc environment matrix", await postgresComponent());

type Caller = ReturnType<typeof createCaller>;
interface Target {
  hostId: string;
  revisionId: string;
  workflow: string;
  /** A finished deployment on this host (rollback) and an open one (cancel). */
  finishedId: string;
  openId: string;
}

/** Each host-changing procedure with its minimum role (as in authorization-matrix.test.ts). */
const PROCEDURES: Array<[string, Role, (c: Caller, teamId: string, t: Target) => Promise<unknown>]> = [
  [
    "deployments.create",
    "DEPLOYER",
    (c, teamId, t) => c.deployments.create({ teamId, revisionId: t.revisionId, hostIds: [t.hostId] }),
  ],
  [
    "deployments.cancel",
    "DEPLOYER",
    (c, teamId, t) => c.deployments.cancel({ teamId, deploymentId: t.openId }),
  ],
  [
    "deployments.rollback",
    "DEPLOYER",
    (c, teamId, t) => c.deployments.rollback({ teamId, deploymentId: t.finishedId }),
  ],
  [
    "hosts.serviceAction",
    "DEPLOYER",
    (c, teamId, t) =>
      c.hosts.serviceAction({
        teamId,
        hostId: t.hostId,
        workflow: t.workflow,
        service: "app",
        action: "restart",
      }),
  ],
  [
    "hosts.undeploy",
    "DEPLOYER",
    (c, teamId, t) => c.hosts.undeploy({ teamId, hostId: t.hostId, workflow: t.workflow }),
  ],
  [
    "hosts.runCommand",
    "ADMIN",
    (c, teamId, t) =>
      c.hosts.runCommand({
        teamId,
        hostId: t.hostId,
        workflow: t.workflow,
        service: "app",
        command: { argv: ["true"], timeoutSeconds: 10 },
      }),
  ],
];

describe.skipIf(!ok)("environment roles over every host-changing procedure", () => {
  let db: TestDatabase;
  let teamId: string;
  const targets = {} as Record<"production" | "staging", Target>;
  /** [team role, role on production or null, user id] */
  const members: Array<[Role, Role | null, string]> = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const prisma = db.prisma;
    teamId = (await createTestTeam(prisma, "Environments")).id;
    const owner = await createTestMember(prisma, teamId, "OWNER");
    const production = await saveEnvironment(prisma, owner.actor, {
      name: "production",
      selector: "env=production",
    });
    await saveEnvironment(prisma, owner.actor, { name: "staging", selector: "env=staging" });
    for (const env of ["production", "staging"] as const) {
      const host = await createTestHost(prisma, teamId);
      await prisma.host.update({ where: { id: host.id }, data: { labels: { role: "web", env } } });
      const revision = await createTestRevision(prisma, teamId);
      const workflow = (
        await prisma.workflow.findFirstOrThrow({ where: { revisions: { some: { id: revision.id } } } })
      ).name;
      const finished = await deployTo(prisma, teamId, revision.id, [host.id]);
      await runFakeAgentJob(prisma, host, { outcome: "SUCCEEDED" });
      const open = await deployTo(prisma, teamId, revision.id, [host.id]);
      targets[env] = {
        hostId: host.id,
        revisionId: revision.id,
        workflow,
        finishedId: finished.deployment.id,
        openId: open.deployment.id,
      };
    }
    for (const teamRole of ROLES) {
      const narrower = ROLES.filter((r) => r !== teamRole && hasRole(teamRole, r));
      for (const envRole of [null, ...narrower]) {
        const member = await createTestMember(prisma, teamId, teamRole);
        if (envRole)
          await setEnvironmentRole(prisma, owner.actor, {
            environmentId: production.id,
            membershipId: member.membership.id,
            role: envRole,
          });
        members.push([teamRole, envRole, member.user.id]);
      }
    }
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("allows a call exactly when the role on the host's environment reaches the minimum", async () => {
    const wrong: string[] = [];
    // Lowest roles first: an allowed cancel must not change what a refused caller would see.
    const ordered = [...members].sort((a, b) => ROLES.indexOf(b[0]) - ROLES.indexOf(a[0]));
    for (const [path, minRole, call] of PROCEDURES)
      for (const [teamRole, envRole, userId] of ordered)
        for (const env of ["production", "staging"] as const) {
          const effective = env === "production" && envRole ? lowerRole(teamRole, envRole) : teamRole;
          let refusal = "";
          try {
            await call(createCaller({ prisma: db.prisma, userId }), teamId, targets[env]);
          } catch (error) {
            if (!(error instanceof TRPCError)) throw error;
            if (error.code === "FORBIDDEN") refusal = error.message;
          }
          const label = `${path} as ${teamRole}${envRole ? ` (${envRole} on production)` : ""} on ${env}`;
          if (hasRole(effective, minRole) === Boolean(refusal))
            wrong.push(`${label}: ${refusal || "allowed"}`);
          // A refusal by environment names it and the role there.
          if (refusal && hasRole(teamRole, minRole) && !refusal.includes(`${effective}`))
            wrong.push(`${label}: unclear refusal ${refusal}`);
        }
    expect(wrong).toEqual([]);
  });
});
