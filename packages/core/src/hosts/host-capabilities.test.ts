// What a host can run, from its agent's facts, against real PostgreSQL: a systemd workflow aimed
// at a host whose systemd is not PID 1 is refused (422, naming the host and the reason) at save,
// in the deploy preview and at deploy, and nothing is queued; a host whose facts predate these
// fields is not refused.
import { randomBytes } from "node:crypto";
import type { Prisma } from "@capstan/db";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { workflowSpecSchema } from "@capstan/templates";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestMember, createTestTeam, postgresComponent } from "../../test/fixtures";
import { previewDeployment } from "../deployments/preview-deployment";
import { createTestHost, deployTo, uniqueName } from "../deployments/test-fixtures";
import type { TeamActor } from "../rbac/team-actor";
import { createWorkflow } from "../workflows/create-workflow";
import { missingCapability } from "./host-capabilities";

const ok = requireComponents("core host capabilities", await postgresComponent());

/** What an agent in a Docker-only container reports: Docker and Compose, no systemd as PID 1. */
const DOCKER_ONLY = {
  systemdPid1: false,
  dockerVersion: "27.3.1",
  composeVersion: "1.29.2",
  nixVersion: null,
};
/** An agent from before the capability facts: no systemdPid1, no nixVersion. */
const OLD_AGENT = { arch: "x64", dockerVersion: null, composeVersion: null, systemdVersion: "252" };

const systemdYaml = (name: string, host: string) => `name: ${name}
targets: { hosts: [${host}] }
services:
  api:
    systemd:
      exec: ["/usr/bin/sleep", "infinity"]
`;

describe("missingCapability", () => {
  it("names what each kind lacks, and refuses nothing the facts cannot tell", () => {
    expect(missingCapability("systemd", DOCKER_ONLY)).toMatch(/systemd is not PID 1/);
    expect(missingCapability("nix", DOCKER_ONLY)).toMatch(/systemd is not PID 1/);
    expect(missingCapability("compose", DOCKER_ONLY)).toBeNull();
    const systemdOnly = { systemdPid1: true, dockerVersion: null, composeVersion: null, nixVersion: null };
    expect(missingCapability("systemd", systemdOnly)).toBeNull();
    expect(missingCapability("nix", systemdOnly)).toBe("Nix is not installed there");
    expect(missingCapability("nix", { ...systemdOnly, nixVersion: "2.18.1" })).toBeNull();
    expect(missingCapability("compose", systemdOnly)).toBe("its agent reaches no Docker Engine");
    expect(missingCapability("compose", { ...systemdOnly, dockerVersion: "27.0.0" })).toMatch(
      /neither docker compose nor docker-compose/,
    );
    for (const kind of ["compose", "systemd", "nix"] as const) {
      expect(missingCapability(kind, OLD_AGENT)).toBeNull();
      expect(missingCapability(kind, {})).toBeNull();
      // A value of the wrong type is unknown, never "missing".
      expect(missingCapability(kind, { systemdPid1: "false", dockerVersion: 1 })).toBeNull();
    }
  });
});

describe.skipIf(!ok)("host capabilities on the control plane", () => {
  let db: TestDatabase;
  let admin: TeamActor;
  beforeAll(async () => {
    db = await createTestDatabase();
    const team = await createTestTeam(db.prisma, "Capabilities");
    admin = (await createTestMember(db.prisma, team.id, "ADMIN")).actor;
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function hostWithFacts(facts: Prisma.InputJsonObject) {
    const host = await createTestHost(db.prisma, admin.teamId, uniqueName("host"));
    await db.prisma.host.update({ where: { id: host.id }, data: { facts } });
    return host;
  }

  /** A systemd revision stored as-is (as if saved before the host reported its facts). */
  async function systemdRevision(hostName: string) {
    const spec = workflowSpecSchema.parse({
      name: uniqueName("sd"),
      targets: { hosts: [hostName] },
      services: { api: { systemd: { exec: ["/usr/bin/sleep", "infinity"] } } },
    });
    const workflow = await db.prisma.workflow.create({ data: { teamId: admin.teamId, name: spec.name } });
    return db.prisma.revision.create({
      data: {
        workflowId: workflow.id,
        number: 1,
        source: systemdYaml(spec.name, hostName),
        spec: spec as unknown as Prisma.InputJsonObject,
        contentHash: randomBytes(16).toString("hex"),
      },
    });
  }

  it("refuses a systemd workflow for a host without systemd as PID 1 at save, preview and deploy", async () => {
    const host = await hostWithFacts(DOCKER_ONLY);
    const name = uniqueName("wf");

    const saved = await appError(createWorkflow(db.prisma, admin, { source: systemdYaml(name, host.name) }));
    expect(saved.code).toBe("UNPROCESSABLE");
    expect(saved.message).toContain(
      `host ${host.name} cannot run systemd services (api): systemd is not PID 1`,
    );
    expect(await db.prisma.workflow.count({ where: { teamId: admin.teamId, name } })).toBe(0);

    const revision = await systemdRevision(host.name);
    const preview = await previewDeployment(db.prisma, { teamId: admin.teamId, revisionId: revision.id });
    expect(preview.targets.map((t) => t.name)).toEqual([host.name]);
    expect(preview.targetsProblem).toContain(`host ${host.name} cannot run systemd services`);
    expect(preview.targetsProblem).toContain("systemd is not PID 1");

    const deployed = await appError(deployTo(db.prisma, admin.teamId, revision.id, [host.id]));
    expect(deployed.code).toBe("UNPROCESSABLE");
    expect(deployed.message).toContain(`host ${host.name} cannot run systemd services (api)`);
    expect(deployed.details).toMatchObject({
      capabilityRefusals: [{ host: host.name, kind: "systemd", services: ["api"] }],
    });
    expect(await db.prisma.deployment.count({ where: { revisionId: revision.id } })).toBe(0);
    expect(await db.prisma.job.count({ where: { hostId: host.id } })).toBe(0);
  });

  it("does not refuse a host whose facts predate the capability fields", async () => {
    const host = await hostWithFacts(OLD_AGENT);
    const created = await createWorkflow(db.prisma, admin, {
      source: systemdYaml(uniqueName("wf"), host.name),
    });
    const preview = await previewDeployment(db.prisma, {
      teamId: admin.teamId,
      revisionId: created.revision.id,
    });
    expect(preview.targetsProblem).toBeNull();
    const { jobIds } = await deployTo(db.prisma, admin.teamId, created.revision.id, [host.id]);
    expect(jobIds).toHaveLength(1);
  });

  it("refuses only the host that cannot, among hosts chosen by hand", async () => {
    const able = await hostWithFacts({ ...DOCKER_ONLY, systemdPid1: true });
    const unable = await hostWithFacts(DOCKER_ONLY);
    const revision = await systemdRevision(able.name);
    const error = await appError(deployTo(db.prisma, admin.teamId, revision.id, [able.id, unable.id]));
    expect(error.code).toBe("UNPROCESSABLE");
    expect(error.message).toContain(`host ${unable.name} cannot run`);
    expect(error.message).not.toContain(`host ${able.name}`);
    expect((await deployTo(db.prisma, admin.teamId, revision.id, [able.id])).jobIds).toHaveLength(1);
  });
});
