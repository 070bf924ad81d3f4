// Two-factor through tRPC on real PostgreSQL: enrolment by the signed-in user, and the team
// setting "require two-factor": every team procedure refuses a member without it with a message
// that says where to enrol, while API tokens (the public API) keep working.
import { randomBytes } from "node:crypto";
import { createApiToken } from "@capstan/core/api-tokens/create-api-token";
import { Keyring } from "@capstan/core/secrets/keyring";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { TRPCError } from "@trpc/server";
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestMember,
  createTestTeam,
  postgresComponent,
} from "../../../../../../packages/core/test/fixtures";
import { createCaller } from "../root";

const ok = requireComponents("web/trpc two-factor", await postgresComponent());
const keyring = new Keyring("k1", new Map([["k1", randomBytes(32)]]));

describe.skipIf(!ok)("two-factor over tRPC", { timeout: 60_000 }, () => {
  let db: TestDatabase;
  const as = (userId: string) => createCaller({ prisma: db.prisma, userId, keyring });

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function enrol(userId: string) {
    const begun = await as(userId).twoFactor.begin();
    expect(begun.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    const code = new TOTP({ secret: Secret.fromBase32(begun.secret) }).generate();
    return as(userId).twoFactor.confirm({ code });
  }

  it("enrols the caller and shows the recovery codes once", async () => {
    const team = await createTestTeam(db.prisma, "tf");
    const { user } = await createTestMember(db.prisma, team.id, "VIEWER", "tf");
    expect(await as(user.id).twoFactor.status()).toMatchObject({ enabled: false });
    const { recoveryCodes } = await enrol(user.id);
    expect(recoveryCodes).toHaveLength(10);
    expect(await as(user.id).twoFactor.status()).toMatchObject({ enabled: true, recoveryCodesLeft: 10 });
    // Without the keyring, enrolling says how to fix it instead of storing a plaintext secret.
    const { user: other } = await createTestMember(db.prisma, team.id, "VIEWER", "nokey");
    await expect(
      createCaller({ prisma: db.prisma, userId: other.id, keyring: null }).twoFactor.begin(),
    ).rejects.toThrow(/CAPSTAN_SECRETS_KEY/);
  });

  it("a required team refuses members without 2FA on every team procedure; API tokens are unaffected", async () => {
    const team = await createTestTeam(db.prisma, "strict");
    const { user: admin, actor } = await createTestMember(db.prisma, team.id, "ADMIN", "strict-admin");
    const { user: plain } = await createTestMember(db.prisma, team.id, "DEPLOYER", "strict-plain");
    const { token } = await createApiToken(db.prisma, { ...actor }, { name: "ci", role: "DEPLOYER" });
    const { token: plainToken } = await createApiToken(
      db.prisma,
      { teamId: team.id, userId: plain.id, email: plain.email, role: "ADMIN" },
      { name: "ci-plain", role: "VIEWER" },
    );

    await expect(as(admin.id).team.setRequireTwoFactor({ teamId: team.id, enabled: true })).rejects.toThrow(
      /two-factor for your own account first/,
    );
    await enrol(admin.id);
    expect(await as(admin.id).team.setRequireTwoFactor({ teamId: team.id, enabled: true })).toEqual({
      requireTwoFactor: true,
      membersWithout: 1,
    });
    expect((await as(admin.id).team.get({ teamId: team.id })).requireTwoFactor).toBe(true);

    for (const call of [
      () => as(plain.id).team.get({ teamId: team.id }),
      () => as(plain.id).hosts.list({ teamId: team.id }),
      () => as(plain.id).deployments.list({ teamId: team.id }),
    ]) {
      const error = await call().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TRPCError);
      expect(error).toMatchObject({
        code: "FORBIDDEN",
        message: expect.stringContaining("/account/two-factor"),
      });
    }
    // The list of the user's own teams still works (the switcher), and the enrol page's status names the team.
    expect((await as(plain.id).twoFactor.status()).requiredBy).toEqual([
      { slug: team.slug, name: team.name },
    ]);

    const dispatch = await (await import("../../../../test/api-dispatch")).loadPublicApiRoutes();
    for (const bearer of [token, plainToken]) {
      const response = await dispatch(
        new Request("http://capstan.test/api/v1/hosts", { headers: { authorization: `Bearer ${bearer}` } }),
      );
      expect(response.status).toBe(200);
    }

    // Once the member enrols, the team opens.
    await enrol(plain.id);
    expect((await as(plain.id).team.get({ teamId: team.id })).id).toBe(team.id);
  });
});
