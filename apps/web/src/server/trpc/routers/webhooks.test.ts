// The webhooks procedures through the real router and RBAC middleware (createCaller) on real
// PostgreSQL: ADMIN+ manages webhooks, every member reads them and the delivery log, URLs are
// shortened for non-admins, the secret is returned once, and another team's ids act as missing.
import { randomBytes } from "node:crypto";
import { ROLES } from "@capstan/core/rbac/roles";
import { parseKeyring } from "@capstan/core/secrets/keyring";
import type { Role } from "@capstan/db";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestMember,
  createTestTeam,
  postgresComponent,
} from "../../../../../../packages/core/test/fixtures";
import { trpcCode } from "../../../../test/trpc-code";
import { createCaller } from "../root";

const ok = requireComponents("web/trpc webhooks", await postgresComponent());
const keyring = parseKeyring(`k1:${randomBytes(32).toString("base64")}`);
const SLACK_URL = "https://hooks.slack.example/services/T000/B000/very-secret-token";

describe.skipIf(!ok)("webhooks procedures", () => {
  let db: TestDatabase;
  let teamId: string;
  let otherTeamId: string;
  let otherAdmin: string;
  const users = {} as Record<Role, string>;
  const as = (role: Role) => createCaller({ prisma: db.prisma, userId: users[role], keyring });

  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma, "Main")).id;
    for (const role of ROLES) users[role] = (await createTestMember(db.prisma, teamId, role)).user.id;
    otherTeamId = (await createTestTeam(db.prisma, "Other")).id;
    otherAdmin = (await createTestMember(db.prisma, otherTeamId, "ADMIN")).user.id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("lets ADMIN and OWNER manage webhooks and every member read them", async () => {
    const created: Record<string, string> = {};
    for (const role of ROLES) {
      const result = await trpcCode(
        as(role)
          .webhooks.create({
            teamId,
            name: `hook-${role}`,
            url: SLACK_URL,
            format: "SLACK",
            events: ["deployment.failed"],
          })
          .then((r) => {
            created[role] = r.webhook.id;
            expect(r.secret).toMatch(/^whsec_/);
          }),
      );
      expect(result, role).toBe(role === "OWNER" || role === "ADMIN" ? "OK" : "FORBIDDEN");
    }
    const id = created.ADMIN!;
    for (const role of ROLES) {
      expect(await trpcCode(as(role).webhooks.list({ teamId })), role).toBe("OK");
      expect(await trpcCode(as(role).webhooks.deliveries({ teamId, webhookId: id })), role).toBe("OK");
      const admin = role === "OWNER" || role === "ADMIN";
      for (const call of [
        () =>
          as(role).webhooks.update({ teamId, webhookId: id, events: ["deployment.failed", "host.offline"] }),
        () => as(role).webhooks.sendTest({ teamId, webhookId: id }),
        () => as(role).webhooks.rotateSecret({ teamId, webhookId: id }),
      ])
        expect(await trpcCode(call()), role).toBe(admin ? "OK" : "FORBIDDEN");
    }
    expect(await trpcCode(as("VIEWER").webhooks.delete({ teamId, webhookId: id }))).toBe("FORBIDDEN");
    expect(await trpcCode(as("DEPLOYER").webhooks.retryDelivery({ teamId, deliveryId: id }))).toBe(
      "FORBIDDEN",
    );

    // Full URLs (Slack's path is a secret) only for ADMIN+; never the secret or its ciphertext.
    const adminView = (await as("ADMIN").webhooks.list({ teamId })).find((w) => w.id === id)!;
    const viewerView = (await as("VIEWER").webhooks.list({ teamId })).find((w) => w.id === id)!;
    expect(adminView.url).toBe(SLACK_URL);
    expect(viewerView.url).toBe("https://hooks.slack.example/services/...");
    expect(viewerView.urlRedacted).toBe(true);
    expect(JSON.stringify(viewerView)).not.toMatch(/secret|whsec_/i);
    expect(adminView.events).toEqual(["deployment.failed", "host.offline"]);

    expect(await trpcCode(as("OWNER").webhooks.delete({ teamId, webhookId: id }))).toBe("OK");
    expect(await trpcCode(as("OWNER").webhooks.delete({ teamId, webhookId: id }))).toBe("NOT_FOUND");
  });

  it("refuses bad URLs and answers another team's ids like missing ones", async () => {
    for (const url of ["ftp://example.com/x", "https://user:pw@example.com/x", "not a url"])
      expect(
        await trpcCode(as("ADMIN").webhooks.create({ teamId, name: "bad", url, events: ["host.offline"] })),
        url,
      ).toBe("BAD_REQUEST");
    expect(
      await trpcCode(as("ADMIN").webhooks.create({ teamId, name: "none", url: SLACK_URL, events: [] })),
    ).toBe("BAD_REQUEST");
    const theirs = await createCaller({ prisma: db.prisma, userId: otherAdmin, keyring }).webhooks.create({
      teamId: otherTeamId,
      name: "theirs",
      url: "https://example.com/theirs",
      events: ["host.offline"],
    });
    const missing = "00000000-0000-4000-8000-000000000000";
    for (const webhookId of [theirs.webhook.id, missing]) {
      expect(await trpcCode(as("OWNER").webhooks.update({ teamId, webhookId, enabled: false }))).toBe(
        "NOT_FOUND",
      );
      expect(await trpcCode(as("OWNER").webhooks.delete({ teamId, webhookId }))).toBe("NOT_FOUND");
      expect(await trpcCode(as("OWNER").webhooks.sendTest({ teamId, webhookId }))).toBe("NOT_FOUND");
      expect((await as("OWNER").webhooks.deliveries({ teamId, webhookId })).items).toEqual([]);
    }
    // Their webhook is untouched; asking about it with their own team id needs membership there.
    expect(await trpcCode(as("OWNER").webhooks.list({ teamId: otherTeamId }))).toBe("NOT_FOUND");
    expect((await db.prisma.webhook.findUniqueOrThrow({ where: { id: theirs.webhook.id } })).enabled).toBe(
      true,
    );
  });
});
