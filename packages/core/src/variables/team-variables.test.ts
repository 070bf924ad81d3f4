// Team variables on real PostgreSQL: set, list (with value and where used), delete, audited with
// the value; `${{ team.NAME }}` in an env value becomes the team's current value when a job is
// claimed (a job claimed after a change gets the new value); a missing variable fails the deploy
// naming it; saving a revision that names an unknown one is refused with a did-you-mean; one
// team's variable never reaches another team's workflow; hostile values are refused.
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestMember, createTestTeam, postgresComponent } from "../../test/fixtures";
import { createTestHost, deployTo, uniqueName } from "../deployments/test-fixtures";
import { claimNextJob } from "../jobs/claim-job";
import type { TeamActor } from "../rbac/team-actor";
import { createWorkflow } from "../workflows/create-workflow";
import { saveRevision } from "../workflows/save-revision";
import { deleteTeamVariable } from "./delete-team-variable";
import { listTeamVariables } from "./list-team-variables";
import { setTeamVariable } from "./set-team-variable";

const ok = requireComponents("core team variables", await postgresComponent());

const yaml = (name: string, host: string, env: Record<string, string>) => `name: ${name}
targets: { hosts: [${host}] }
services:
  api:
    env: ${JSON.stringify(env)}
    systemd:
      exec: ["/usr/bin/sleep", "infinity"]
`;

describe.skipIf(!ok)("team variables", { timeout: 60_000 }, () => {
  let db: TestDatabase;

  async function team(label: string) {
    const t = await createTestTeam(db.prisma, label);
    const admin: TeamActor = (await createTestMember(db.prisma, t.id, "ADMIN")).actor;
    const host = await createTestHost(db.prisma, t.id, uniqueName("host"));
    const workflow = (env: Record<string, string>, name = uniqueName("wf")) =>
      createWorkflow(db.prisma, admin, { source: yaml(name, host.name, env) });
    const deployAndClaim = async (revisionId: string) => {
      const { jobIds } = await deployTo(db.prisma, t.id, revisionId, [host.id]);
      const job = await claimNextJob(db.prisma, { hostId: host.id, leaseSeconds: 30 });
      const stored = await db.prisma.job.findUniqueOrThrow({ where: { id: jobIds[0] } });
      return { job, stored };
    };
    return { id: t.id, admin, host, workflow, deployAndClaim };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });

  it("sets, lists with value and where used, replaces, deletes, and audits with the value", async () => {
    const t = await team("Vars");
    expect(await setTeamVariable(db.prisma, t.admin, { name: "DB_HOST", value: "db-1.internal" })).toEqual({
      name: "DB_HOST",
      value: "db-1.internal",
      created: true,
    });
    await setTeamVariable(db.prisma, t.admin, { name: "UNUSED", value: "x" });
    const wf = await t.workflow({ DATABASE_URL: "postgres://app@${{ team.DB_HOST }}:5432/app" });
    await setTeamVariable(db.prisma, t.admin, { name: "DB_HOST", value: "db-2.internal" });

    const list = await listTeamVariables(db.prisma, t.admin);
    expect(list.map((v) => [v.name, v.value, v.usedBy.map((w) => w.name)])).toEqual([
      ["DB_HOST", "db-2.internal", [wf.name]],
      ["UNUSED", "x", []],
    ]);
    expect(list[0]!.updatedBy?.email).toBe(t.admin.email);

    await deleteTeamVariable(db.prisma, t.admin, { name: "UNUSED" });
    expect((await listTeamVariables(db.prisma, t.admin)).map((v) => v.name)).toEqual(["DB_HOST"]);
    expect((await appError(deleteTeamVariable(db.prisma, t.admin, { name: "UNUSED" }))).code).toBe(
      "NOT_FOUND",
    );

    const events = await db.prisma.auditEvent.findMany({
      where: { teamId: t.id, kind: { startsWith: "variable." } },
      orderBy: { id: "asc" },
    });
    expect(events.map((e) => [e.kind, e.data])).toEqual([
      ["variable.written", { name: "DB_HOST", value: "db-1.internal", created: true }],
      ["variable.written", { name: "UNUSED", value: "x", created: true }],
      ["variable.written", { name: "DB_HOST", value: "db-2.internal", created: false }],
      ["variable.deleted", { name: "UNUSED" }],
    ]);
  });

  it("substitutes at claim time: a job claimed after a change gets the new value; the revision keeps the reference", async () => {
    const t = await team("Claim");
    await setTeamVariable(db.prisma, t.admin, { name: "DB_HOST", value: "old.internal" });
    const wf = await t.workflow({ DATABASE_URL: "postgres://app@${{ team.DB_HOST }}:5432/app", PLAIN: "x" });
    await setTeamVariable(db.prisma, t.admin, { name: "DB_HOST", value: "new.internal" });

    const { job, stored } = await t.deployAndClaim(wf.revision.id);
    expect(job?.services[0]?.spec.env).toEqual({
      DATABASE_URL: "postgres://app@new.internal:5432/app",
      PLAIN: "x",
    });
    // The stored job and revision keep what was written; only the claim answer has the value.
    expect(JSON.stringify(stored.payload)).toContain("${{ team.DB_HOST }}");
    const revision = await db.prisma.revision.findUniqueOrThrow({ where: { id: wf.revision.id } });
    expect(revision.source).toContain("${{ team.DB_HOST }}");
  });

  it("fails the deploy naming a variable deleted after the save, never deploying an empty string", async () => {
    const t = await team("Missing");
    await setTeamVariable(db.prisma, t.admin, { name: "API_BASE", value: "https://api.example" });
    await setTeamVariable(db.prisma, t.admin, { name: "REGION", value: "eu" });
    const wf = await t.workflow({ URL: "${{ team.API_BASE }}/${{ team.REGION }}" });
    await deleteTeamVariable(db.prisma, t.admin, { name: "REGION" });

    const { job, stored } = await t.deployAndClaim(wf.revision.id);
    expect(job).toBeNull();
    expect(stored.state).toBe("FAILED");
    expect(stored.error).toContain("Team variable REGION is not set");
    expect(stored.error).toContain(wf.name);
  });

  it("checks the host's policy with the values: a variable that turns a volume into a host bind is refused at claim", async () => {
    const t = await team("Policy");
    await setTeamVariable(db.prisma, t.admin, { name: "DATA", value: "appdata" });
    const wf = await createWorkflow(db.prisma, t.admin, {
      source: `name: ${uniqueName("wf")}
targets: { hosts: [${t.host.name}] }
services:
  db:
    env: { VOL: "\${{ team.DATA }}" }
    compose:
      inline:
        services:
          db: { image: "capstan-busybox:test", volumes: ["\${VOL}:/data"] }
        volumes: { appdata: {} }
`,
    });
    await setTeamVariable(db.prisma, t.admin, { name: "DATA", value: "/etc" });
    const { job, stored } = await t.deployAndClaim(wf.revision.id);
    expect(job).toBeNull();
    expect(stored.state).toBe("FAILED");
    expect(stored.error).toContain("Refused by this host's policy");
    expect(stored.error).toContain("/etc");
  });

  it("refuses to save a revision naming an unknown variable, with a did-you-mean for a near miss", async () => {
    const t = await team("Save");
    await setTeamVariable(db.prisma, t.admin, { name: "DB_HOST", value: "db.internal" });
    const name = uniqueName("wf");
    const typo = await appError(t.workflow({ URL: "pg://${{ team.DB_HSOT }}/app" }, name));
    expect(typo.code).toBe("BAD_REQUEST");
    expect(typo.message).toContain("team variable `DB_HSOT` does not exist; did you mean `DB_HOST`?");
    expect(typo.message).toMatch(/services\.api\.env\.URL: .*\(line 5\)/);

    const wf = await t.workflow({ URL: "pg://${{ team.DB_HOST }}/app" }, name);
    const unknown = await appError(
      saveRevision(db.prisma, t.admin, {
        workflowId: wf.id,
        source: yaml(name, t.host.name, { URL: "${{ team.SOMETHING_ELSE }}" }),
      }),
    );
    expect(unknown.message).toContain("team variable `SOMETHING_ELSE` does not exist; set it on");
  });

  it("refuses malformed references and multi-line or oversized values with a clear message", async () => {
    const t = await team("Hostile");
    for (const value of ["${{ team.a-b }}", "${{ team.X"]) {
      const error = await appError(t.workflow({ URL: value }));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain("${{ team.DB_HOST }}");
    }
    const newline = await appError(
      setTeamVariable(db.prisma, t.admin, { name: "EVIL", value: "ok\nCAPSTAN_AGENT_TOKEN=stolen" }),
    );
    expect(newline.message).toMatch(/single line .*EnvironmentFile/);
    const big = await appError(setTeamVariable(db.prisma, t.admin, { name: "BIG", value: "x".repeat(4097) }));
    expect(big.message).toContain("larger than 4 KiB");
    for (const name of ["lower", "A-B", "CAPSTAN_TOKEN", "X".repeat(129)])
      expect((await appError(setTeamVariable(db.prisma, t.admin, { name, value: "v" }))).code).toBe(
        "BAD_REQUEST",
      );
    expect(await db.prisma.teamVariable.count({ where: { teamId: t.id } })).toBe(0);
  });

  it("keeps teams apart: team B's workflow never gets team A's variable of the same name", async () => {
    const a = await team("Alpha");
    const b = await team("Beta");
    await setTeamVariable(db.prisma, a.admin, { name: "SHARED_HOST", value: "alpha-only.internal" });
    // Team B cannot even save a reference to a name only team A has.
    expect((await appError(b.workflow({ H: "${{ team.SHARED_HOST }}" }))).message).toContain(
      "team variable `SHARED_HOST` does not exist",
    );
    await setTeamVariable(db.prisma, b.admin, { name: "SHARED_HOST", value: "beta.internal" });
    const wf = await b.workflow({ H: "${{ team.SHARED_HOST }}" });
    // Deleted after the save: the claim must fail, not fall back to team A's row.
    await deleteTeamVariable(db.prisma, b.admin, { name: "SHARED_HOST" });
    const { job, stored } = await b.deployAndClaim(wf.revision.id);
    expect(job).toBeNull();
    expect(stored.error).toContain("Team variable SHARED_HOST is not set");
    expect(JSON.stringify(stored)).not.toContain("alpha-only");
    // Writes go to the actor's own team only: team B deleting A's name finds nothing.
    expect((await appError(deleteTeamVariable(db.prisma, b.admin, { name: "SHARED_HOST" }))).code).toBe(
      "NOT_FOUND",
    );
    expect((await listTeamVariables(db.prisma, a.admin)).map((v) => v.value)).toEqual([
      "alpha-only.internal",
    ]);
    expect(await listTeamVariables(db.prisma, b.admin)).toEqual([]);
  });
});
