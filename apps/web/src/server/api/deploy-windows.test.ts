// Deploy windows over the dashboard (tRPC), the public HTTP API and the CLI: a deploy into a
// frozen environment is refused with nothing written, naming the environment and the freeze's
// end; an ADMIN's override goes through and is audited (and still waits for an approval where
// one is required); an override is refused for a DEPLOYER, an ADMIN narrowed on the environment,
// and a DEPLOYER's API token. The windows are laid round the real clock (yesterday to tomorrow,
// UTC) so that these tests hold whenever they run; the hour arithmetic is freeze-windows.test.ts's.
import { postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProductionTeam, refusal, startProductionTeam } from "../../../test/production-team";
import { runCli } from "../../../test/run-cli";

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
  let fx: ProductionTeam<"admin" | "deployer" | "narrowed", "admin" | "deployer">;
  let db: TestDatabase;
  let teamId: string;
  let productionId: string;
  let revisionId: string;

  const trpc = (who: "owner" | "admin" | "deployer" | "narrowed") => fx.trpc(who);
  const written = async () => ({
    deployments: await db.prisma.deployment.count({ where: { teamId } }),
    jobs: await db.prisma.job.count({ where: { deployment: { teamId } } }),
    audit: await db.prisma.auditEvent.count({ where: { teamId } }),
  });
  const api = (who: "admin" | "deployer", body: object) => fx.post(who, "/api/v1/deployments?wait=0", body);

  beforeAll(async () => {
    fx = await startProductionTeam({
      team: "Freezes",
      workflowPrefix: "frozen-wf",
      members: { admin: "ADMIN", deployer: "DEPLOYER", narrowed: "ADMIN" },
      narrowed: ["narrowed"],
      tokens: {
        admin: { member: "admin", name: "ops", role: "ADMIN" },
        deployer: { member: "deployer", name: "ci", role: "DEPLOYER" },
      },
    });
    ({ db, teamId, productionId, revisionId } = fx);
  });
  afterAll(async () => {
    await fx?.close();
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
    expect(audit).toMatchObject({ actorId: fx.users.admin });
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
        CAPSTAN_URL: fx.server.url,
        CAPSTAN_TOKEN: fx.tokens.admin,
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
