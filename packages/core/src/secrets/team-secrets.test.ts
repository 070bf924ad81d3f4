// Team secrets on real PostgreSQL: a workflow names a secret the team holds and the deploy path
// gets its value; the workflow's own secret of that name wins; the list says where each is used
// and never carries a value; a team ciphertext copied into a workflow's row does not decrypt; a
// rotation re-seals team secrets too; one team's secret never reaches another team's workflow.
import { randomBytes } from "node:crypto";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestMember, createTestTeam, postgresComponent } from "../../test/fixtures";
import { createTestHost, uniqueName } from "../deployments/test-fixtures";
import type { TeamActor } from "../rbac/team-actor";
import { createWorkflow } from "../workflows/create-workflow";
import { deleteSecret } from "./delete-secret";
import { parseKeyring } from "./keyring";
import { listSecrets } from "./list-secrets";
import { listTeamSecrets } from "./list-team-secrets";
import { resolveSecrets } from "./resolve-secrets";
import { rotateTeamDataKey } from "./rotate-team-data-key";
import { setSecret } from "./set-secret";

const ok = requireComponents("core team secrets", await postgresComponent());
const keyring = parseKeyring(`k1:${randomBytes(32).toString("base64")}`);

const yaml = (name: string, host: string, secrets: string[]) => `name: ${name}
targets: { hosts: [${host}] }
secrets: [${secrets.join(", ")}]
services:
  api:
    systemd:
      exec: ["/usr/bin/sleep", "infinity"]
`;

describe.skipIf(!ok)("team secrets", { timeout: 30_000 }, () => {
  let db: TestDatabase;

  async function team(label: string) {
    const t = await createTestTeam(db.prisma, label);
    const admin: TeamActor = (await createTestMember(db.prisma, t.id, "ADMIN")).actor;
    const host = await createTestHost(db.prisma, t.id, uniqueName("host"));
    const workflow = async (secrets: string[]) =>
      createWorkflow(db.prisma, admin, { source: yaml(uniqueName("wf"), host.name, secrets) });
    return { id: t.id, admin, workflow };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });

  it("fills a workflow's names from the team, lets the workflow's own secret win, and says where each is used", async () => {
    const t = await team("Shared");
    const smtp = `smtp-${randomBytes(8).toString("hex")}`;
    await setSecret(db.prisma, keyring, t.admin, { workflowId: null, name: "SMTP_PASSWORD", value: smtp });
    await setSecret(db.prisma, keyring, t.admin, {
      workflowId: null,
      name: "SENTRY_DSN",
      value: "https://k@s.example/1",
    });
    const shop = await t.workflow(["SMTP_PASSWORD", "SENTRY_DSN"]);
    const blog = await t.workflow(["SMTP_PASSWORD"]);
    await setSecret(db.prisma, keyring, t.admin, {
      workflowId: blog.id,
      name: "SMTP_PASSWORD",
      value: "blog-own",
    });

    const resolve = (workflowId: string, names: string[]) =>
      resolveSecrets(db.prisma, keyring, { teamId: t.id, workflowId, names });
    expect(await resolve(shop.id, ["SMTP_PASSWORD", "SENTRY_DSN"])).toEqual({
      SMTP_PASSWORD: smtp,
      SENTRY_DSN: "https://k@s.example/1",
    });
    expect(await resolve(blog.id, ["SMTP_PASSWORD"])).toEqual({ SMTP_PASSWORD: "blog-own" });

    const listed = await listTeamSecrets(db.prisma, t.admin);
    expect(listed.map((s) => [s.name, s.usedBy.map((w) => w.name)])).toEqual([
      ["SENTRY_DSN", [shop.name]],
      ["SMTP_PASSWORD", [shop.name]],
    ]);
    expect(JSON.stringify(listed)).not.toContain(smtp);
    // The workflow's own list holds only its own secrets.
    expect((await listSecrets(db.prisma, t.admin, { workflowId: shop.id })).map((s) => s.name)).toEqual([]);

    // A missing name says where it can be set.
    const missing = await appError(resolve(shop.id, ["NOT_THERE"]));
    expect(missing.message).toMatch(/NOT_THERE is not set for workflow ".+" nor for the team/);

    // Rotation re-seals team secrets with the new data key; they still resolve.
    const rotated = await rotateTeamDataKey(db.prisma, keyring, t.admin);
    expect(rotated.secrets).toBe(3);
    expect(await resolve(shop.id, ["SMTP_PASSWORD"])).toEqual({ SMTP_PASSWORD: smtp });

    await deleteSecret(db.prisma, t.admin, { workflowId: null, name: "SENTRY_DSN" });
    expect((await listTeamSecrets(db.prisma, t.admin)).map((s) => s.name)).toEqual(["SMTP_PASSWORD"]);
    const audit = await db.prisma.auditEvent.findMany({
      where: { teamId: t.id, kind: { startsWith: "secret." } },
    });
    expect(audit.map((a) => a.kind).sort()).toEqual([
      "secret.data_key_rotated",
      "secret.deleted",
      "secret.written",
      "secret.written",
      "secret.written",
    ]);
    expect(JSON.stringify(audit.map((a) => a.data))).not.toContain(smtp);
  });

  it("keeps one team secret per name, and never hands it to another team or to a moved row", async () => {
    const a = await team("A");
    const b = await team("B");
    await setSecret(db.prisma, keyring, a.admin, { workflowId: null, name: "API_KEY", value: "team-a-key" });
    await setSecret(db.prisma, keyring, a.admin, {
      workflowId: null,
      name: "API_KEY",
      value: "team-a-key-2",
    });
    expect(await db.prisma.secret.count({ where: { teamId: a.id, workflowId: null } })).toBe(1);
    // The partial unique index refuses a second row even when written behind the use case's back.
    const row = await db.prisma.secret.findFirstOrThrow({ where: { teamId: a.id, workflowId: null } });
    await expect(
      db.prisma.secret.create({
        data: {
          teamId: a.id,
          workflowId: null,
          name: "API_KEY",
          ciphertext: row.ciphertext,
          keyId: row.keyId,
        },
      }),
    ).rejects.toThrow(/Unique constraint/);

    // Team B's workflow naming API_KEY does not see team A's.
    const other = await b.workflow(["API_KEY"]);
    const refused = await appError(
      resolveSecrets(db.prisma, keyring, { teamId: b.id, workflowId: other.id, names: ["API_KEY"] }),
    );
    expect(refused.message).toMatch(/API_KEY is not set/);
    // Nor does team B reach team A's secret through B's API with A's workflow id.
    const mine = await a.workflow(["API_KEY"]);
    await expect(
      resolveSecrets(db.prisma, keyring, { teamId: b.id, workflowId: mine.id, names: ["API_KEY"] }),
    ).rejects.toThrow(/Workflow not found/);

    // The team secret's ciphertext copied into a workflow's own row does not decrypt there.
    await db.prisma.secret.create({
      data: {
        teamId: a.id,
        workflowId: mine.id,
        name: "API_KEY",
        ciphertext: row.ciphertext,
        keyId: row.keyId,
      },
    });
    const moved = await appError(
      resolveSecrets(db.prisma, keyring, { teamId: a.id, workflowId: mine.id, names: ["API_KEY"] }),
    );
    expect(moved.message).toMatch(/API_KEY .*cannot be decrypted/);
    expect(moved.message).not.toContain("team-a-key");
  });
});
