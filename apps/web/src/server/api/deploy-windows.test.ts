// Deploy windows over the dashboard (tRPC), the public HTTP API and the CLI: a deploy into a
// frozen environment is refused with nothing written, naming the environment and the freeze's
// end; an ADMIN's override goes through and is audited (and still waits for an approval where
// one is required); an override is refused for a DEPLOYER, an ADMIN narrowed on the environment,
// and a DEPLOYER's API token. The windows are laid round the real clock (yesterday to tomorrow,
// UTC) so that these tests hold whenever they run; the hour arithmetic is freeze-windows.test.ts's.
import { createApiToken } from "@capstan/core/api-tokens/create-api-token";
import { createTestHost, createTestRevision, uniqueName } from "@capstan/core/deployments/test-fixtures";
import { saveEnvironment } from "@capstan/core/environments/save-environment";
import { setEnvironmentRole } from "@capstan/core/environments/set-environment-role";
import type { Prisma } from "@capstan/db";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestMember, createTestTeam } from "../../../../../packages/core/test/fixtures";
import { runCli } from "../../../test/run-cli";
import { type LoopbackServer, serveOnLoopback } from "../../../test/test-routes";
import { createCaller } from "../trpc/root";

const ok = requireComponents("web/deploy windows", await postgresAvailable());

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
/** `thu 18:57` in UTC, `days` from now. */
function dayAndTime(days: number): string {
  const at = new Date(Date.now() + days * 86_400_000);
  const time = at.toISOString().slice(11, 16);
  return `${DAYS[at.getUTCDay()]} ${time}`;
}
const WINDOW = `${dayAndTime(-1)} - ${dayAndTime(1)}`;

describe.skipIf(!ok)("deploy windows: frozen environments refuse deploys unless an ADMIN overrides", () => {
  let db: TestDatabase;
  let server: LoopbackServer;
  let teamId: string;
  let productionId: string;
  let revisionId: string;
  const users = {} as Record<"owner" | "admin" | "deployer" | "narrowed", string>;
  const tokens = {} as Record<"admin" | "deployer", string>;

  const trpc = (who: keyof typeof users) => createCaller({ prisma: db.prisma, userId: users[who] });
  const refusal = async (call: Promise<unknown>) => {
    try {
      await call;
    } catch (error) {
      if (error instanceof TRPCError) return `${error.code}: ${error.message}`;
      throw error;
    }
    throw new Error("expected a refusal");
  };
  const written = async () => ({
    deployments: await db.prisma.deployment.count({ where: { teamId } }),
    jobs: await db.prisma.job.count({ where: { deployment: { teamId } } }),
    audit: await db.prisma.auditEvent.count({ where: { teamId } }),
  });
  const api = (who: keyof typeof tokens, body: object) =>
    fetch(`${server.url}/api/v1/deployments?wait=0`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens[who]}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    server = await serveOnLoopback(await (await import("../../../test/api-dispatch")).loadPublicApiRoutes());
    teamId = (await createTestTeam(db.prisma, "Freezes")).id;
    const owner = await createTestMember(db.prisma, teamId, "OWNER");
    const admin = await createTestMember(db.prisma, teamId, "ADMIN", "admin");
    const deployer = await createTestMember(db.prisma, teamId, "DEPLOYER", "deployer");
    const narrowed = await createTestMember(db.prisma, teamId, "ADMIN", "narrowed");
    users.owner = owner.user.id;
    users.admin = admin.user.id;
    users.deployer = deployer.user.id;
    users.narrowed = narrowed.user.id;
    tokens.admin = (await createApiToken(db.prisma, admin.actor, { name: "ops", role: "ADMIN" })).token;
    tokens.deployer = (
      await createApiToken(db.prisma, deployer.actor, { name: "ci", role: "DEPLOYER" })
    ).token;
    const host = await createTestHost(db.prisma, teamId);
    await db.prisma.host.update({ where: { id: host.id }, data: { labels: { env: "production" } } });
    productionId = (
      await saveEnvironment(db.prisma, owner.actor, { name: "production", selector: "env=production" })
    ).id;
    await setEnvironmentRole(db.prisma, owner.actor, {
      environmentId: productionId,
      membershipId: narrowed.membership.id,
      role: "DEPLOYER",
    });
    const revision = await createTestRevision(db.prisma, teamId, { workflow: uniqueName("frozen-wf") });
    const spec = { ...(revision.spec as Prisma.JsonObject), targets: { selector: { env: "production" } } };
    await db.prisma.revision.update({ where: { id: revision.id }, data: { spec } });
    revisionId = revision.id;
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  it("an ADMIN sets windows and a time zone on the team page; bad ones are refused saying why", async () => {
    const save = (freezeWindows: string, timeZone: string) =>
      trpc("admin").environments.save({
        teamId,
        environmentId: productionId,
        name: "production",
        selector: "env=production",
        freezeWindows,
        timeZone,
      });
    expect(await refusal(save("fri 16:00 - funday 08:00", "UTC"))).toContain(
      'BAD_REQUEST: "fri 16:00 - funday 08:00" is not a freeze window: days are mon..sun',
    );
    expect(await refusal(save("fri 16:00 - mon 08:00", "Europe/Nowhere"))).toContain(
      'BAD_REQUEST: "Europe/Nowhere" is not a time zone: use an IANA name',
    );
    expect(
      await refusal(
        trpc("deployer").environments.save({
          teamId,
          environmentId: productionId,
          name: "production",
          selector: "env=production",
          freezeWindows: "",
        }),
      ),
    ).toMatch(/^FORBIDDEN/);
    await save(WINDOW, "utc");
    const [listed] = await trpc("deployer").environments.list({ teamId });
    expect(listed).toMatchObject({ freezeWindows: WINDOW, timeZone: "UTC" });
    expect(listed?.frozen?.endsAt).toBeInstanceOf(Date);
    const audit = await db.prisma.auditEvent.findFirstOrThrow({
      where: { teamId, kind: "environment.updated" },
      orderBy: { createdAt: "desc" },
    });
    expect(audit.data).toMatchObject({ timeZone: "UTC", before: { freezeWindows: [], timeZone: "UTC" } });
  });

  it("refuses a deploy into the freeze with nothing written, naming the environment and its end", async () => {
    const before = await written();
    const refused = await refusal(trpc("deployer").deployments.create({ teamId, revisionId }));
    expect(refused).toMatch(
      /^CONFLICT: Deploys to the production environment are frozen \(\w{3} \d\d:\d\d - \w{3} \d\d:\d\d, UTC\) until \w{3} \d+ \w{3} \d\d:\d\d \(UTC\), \d{4}-\d\d-\d\dT[\d:.]+Z\. Deploy after that, or ask an ADMIN to deploy frozen-wf-\w+ with a freeze override\.$/,
    );
    // Without asking for it, an ADMIN is refused too: an override is always deliberate.
    expect(await refusal(trpc("admin").deployments.create({ teamId, revisionId }))).toMatch(/^CONFLICT/);
    expect(await written()).toEqual(before);
  });

  it("refuses an override to a DEPLOYER and to an ADMIN narrowed to DEPLOYER on production", async () => {
    const before = await written();
    expect(
      await refusal(trpc("deployer").deployments.create({ teamId, revisionId, freezeOverride: true })),
    ).toBe(
      "FORBIDDEN: Overriding the freeze on the production environment needs the ADMIN role there; your role there is DEPLOYER. Deploy after the freeze ends, or ask an admin.",
    );
    expect(
      await refusal(trpc("narrowed").deployments.create({ teamId, revisionId, freezeOverride: true })),
    ).toContain("needs the ADMIN role there; your role there is DEPLOYER");
    expect(await written()).toEqual(before);
  });

  it("lets an ADMIN override, audited with the deployment; an approval is still required", async () => {
    const created = await trpc("admin").deployments.create({ teamId, revisionId, freezeOverride: true });
    expect(created.status).toBe("PENDING");
    const audit = await db.prisma.auditEvent.findFirstOrThrow({
      where: { targetId: created.id, kind: "deployment.freeze_override" },
    });
    expect(audit).toMatchObject({ actorId: users.admin });
    expect(audit.data).toMatchObject({ environments: [{ name: "production", timeZone: "UTC" }] });
    await trpc("admin").deployments.cancel({ teamId, deploymentId: created.id });
    // A rollback is a deploy: the same freeze, the same override.
    expect(
      await refusal(trpc("deployer").deployments.rollback({ teamId, deploymentId: created.id })),
    ).toMatch(/^CONFLICT: Deploys to the production environment are frozen/);

    await trpc("owner").environments.save({
      teamId,
      environmentId: productionId,
      name: "production",
      selector: "env=production",
      requiresApproval: true,
    });
    const waiting = await trpc("admin").deployments.create({ teamId, revisionId, freezeOverride: true });
    expect(waiting.status).toBe("AWAITING_APPROVAL");
    // Requested with an override, it may be approved during the freeze.
    await trpc("owner").deployments.approve({ teamId, deploymentId: waiting.id });
    await trpc("admin").deployments.cancel({ teamId, deploymentId: waiting.id });

    // One requested before the freeze began is not approved into it.
    const windows = (freezeWindows: string) =>
      trpc("owner").environments.save({
        teamId,
        environmentId: productionId,
        name: "production",
        selector: "env=production",
        freezeWindows,
      });
    await windows("");
    const early = await trpc("deployer").deployments.create({ teamId, revisionId });
    expect(early.status).toBe("AWAITING_APPROVAL");
    await windows(WINDOW);
    expect(await refusal(trpc("admin").deployments.approve({ teamId, deploymentId: early.id }))).toMatch(
      /^CONFLICT: Deploys to the production environment are frozen .* ask an ADMIN to deploy it again with a freeze override\.$/,
    );
    expect(
      (await db.prisma.deployment.findUniqueOrThrow({ where: { id: early.id }, select: { status: true } }))
        .status,
    ).toBe("AWAITING_APPROVAL");
    await trpc("deployer").deployments.cancel({ teamId, deploymentId: early.id });
    await trpc("owner").environments.save({
      teamId,
      environmentId: productionId,
      name: "production",
      selector: "env=production",
      requiresApproval: false,
    });
  });

  it("the public API and the CLI: 409 without an override, 403 for a DEPLOYER token, an ADMIN token overrides", async () => {
    const before = await written();
    const { workflow } = await db.prisma.revision.findUniqueOrThrow({
      where: { id: revisionId },
      select: { workflow: { select: { name: true } } },
    });
    const refused = await api("admin", { workflow: workflow.name });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain("Deploys to the production environment are frozen");
    const deployer = await api("deployer", { workflow: workflow.name, freezeOverride: true });
    expect(deployer.status).toBe(403);
    expect(await deployer.text()).toContain("your role there is DEPLOYER");
    expect(await written()).toEqual(before);

    const overridden = await api("admin", { workflow: workflow.name, freezeOverride: true });
    expect(overridden.status).toBe(202);
    const { id } = (await overridden.json()) as { id: string };
    const audit = await db.prisma.auditEvent.findFirstOrThrow({
      where: { targetId: id, kind: "deployment.freeze_override" },
    });
    expect(audit.data).toMatchObject({ environments: [{ name: "production" }] });
    await trpc("admin").deployments.cancel({ teamId, deploymentId: id });

    const cli = (...args: string[]) =>
      runCli(["deploy", "--workflow", workflow.name, ...args], {
        CAPSTAN_URL: server.url,
        CAPSTAN_TOKEN: tokens.admin,
      });
    const cliRefused = await cli();
    expect(cliRefused.code).toBe(4);
    expect(cliRefused.stderr).toContain("Deploys to the production environment are frozen");
    const cliOverride = await cli("--freeze-override");
    expect(cliOverride.stderr).toBe("");
    expect(cliOverride.code).toBe(0);
    const cliId = /deployment ([0-9a-f-]{36})/.exec(cliOverride.stdout)?.[1];
    expect(
      await db.prisma.auditEvent.count({ where: { targetId: cliId, kind: "deployment.freeze_override" } }),
    ).toBe(1);
  });
});
