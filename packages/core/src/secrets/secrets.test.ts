import { randomBytes, randomUUID } from "node:crypto";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestMember, createTestTeam } from "../../test/fixtures";
import { deleteSecret } from "./delete-secret";
import { importEnvFile } from "./import-env-file";
import { parseKeyring } from "./keyring";
import { listSecrets } from "./list-secrets";
import { resolveSecrets } from "./resolve-secrets";
import { rewrapDataKeys } from "./rewrap-data-keys";
import { rotateTeamDataKey } from "./rotate-team-data-key";
import { saveEnvFileSecrets } from "./save-env-file-secrets";
import { setSecret } from "./set-secret";

const ok = requireComponents("core/secrets", await postgresAvailable());

const newKey = () => randomBytes(32).toString("base64");

describe.skipIf(!ok)("secrets use cases", { timeout: 30_000 }, () => {
  let db: TestDatabase;
  const kek1 = newKey();
  const keyring = parseKeyring(`k1:${kek1}`);

  async function setup(name = "Team") {
    const team = await createTestTeam(db.prisma, name);
    const { actor } = await createTestMember(db.prisma, team.id, "ADMIN");
    const workflow = await db.prisma.workflow.create({
      data: { teamId: team.id, name: `web-${team.id.slice(0, 6)}` },
    });
    return { team, actor, workflow };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });

  it("stores values encrypted and resolves them for the deploy path", async () => {
    const { actor, workflow, team } = await setup();
    const value = `pw-${randomBytes(12).toString("hex")}`;
    const written = await setSecret(db.prisma, keyring, actor, {
      workflowId: workflow.id,
      name: "DB_PASSWORD",
      value,
    });
    expect(written).toMatchObject({ name: "DB_PASSWORD", created: true });

    const row = await db.prisma.secret.findFirstOrThrow({ where: { workflowId: workflow.id } });
    expect(Buffer.from(row.ciphertext).includes(Buffer.from(value))).toBe(false);
    expect(row.keyId).toMatch(/^dek-[0-9a-f]{32}$/);
    const teamRow = await db.prisma.team.findUniqueOrThrow({ where: { id: team.id } });
    expect(teamRow.dataKeyKekId).toBe("k1");
    expect(teamRow.wrappedDataKey).not.toBeNull();

    const resolved = await resolveSecrets(db.prisma, keyring, {
      teamId: team.id,
      workflowId: workflow.id,
      names: ["DB_PASSWORD"],
    });
    expect(resolved).toEqual({ DB_PASSWORD: value });

    // Replacing keeps one row, new ciphertext, and the new value.
    const again = await setSecret(db.prisma, keyring, actor, {
      workflowId: workflow.id,
      name: "DB_PASSWORD",
      value: `${value}-2`,
    });
    expect(again.created).toBe(false);
    const replaced = await db.prisma.secret.findMany({ where: { workflowId: workflow.id } });
    expect(replaced).toHaveLength(1);
    expect(Buffer.from(replaced[0]!.ciphertext).equals(Buffer.from(row.ciphertext))).toBe(false);
    expect(
      await resolveSecrets(db.prisma, keyring, {
        teamId: team.id,
        workflowId: workflow.id,
        names: ["DB_PASSWORD"],
      }),
    ).toEqual({ DB_PASSWORD: `${value}-2` });
  });

  it("seals the same value differently in two workflows", async () => {
    const { actor, team, workflow } = await setup();
    const other = await db.prisma.workflow.create({ data: { teamId: team.id, name: "other" } });
    await setSecret(db.prisma, keyring, actor, {
      workflowId: workflow.id,
      name: "TOKEN",
      value: "same-value",
    });
    await setSecret(db.prisma, keyring, actor, { workflowId: other.id, name: "TOKEN", value: "same-value" });
    const rows = await db.prisma.secret.findMany({ where: { teamId: team.id, name: "TOKEN" } });
    expect(rows).toHaveLength(2);
    expect(Buffer.from(rows[0]!.ciphertext).equals(Buffer.from(rows[1]!.ciphertext))).toBe(false);
  });

  it("refuses bad names and values, and another team's workflow answers NOT_FOUND", async () => {
    const { actor, workflow } = await setup();
    const stranger = await setup("Other");
    const cases: [string, string][] = [
      ["lower", "x"],
      ["EMPTY", ""],
      ["NUL", "a\0b"],
      ["MULTI", "a\nb"],
      ["BIG", "x".repeat(64 * 1024 + 1)],
    ];
    for (const [name, value] of cases) {
      await expect(
        setSecret(db.prisma, keyring, actor, { workflowId: workflow.id, name, value }),
      ).rejects.toMatchObject({
        code: "BAD_REQUEST",
      });
    }
    await expect(
      setSecret(db.prisma, keyring, actor, { workflowId: randomUUID(), name: "A", value: "v" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      setSecret(db.prisma, keyring, stranger.actor, { workflowId: workflow.id, name: "A", value: "v" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(listSecrets(db.prisma, stranger.actor, { workflowId: workflow.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await setSecret(db.prisma, keyring, actor, { workflowId: workflow.id, name: "MINE", value: "mine" });
    await expect(
      resolveSecrets(db.prisma, keyring, {
        teamId: stranger.team.id,
        workflowId: workflow.id,
        names: ["MINE"],
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      deleteSecret(db.prisma, stranger.actor, { workflowId: workflow.id, name: "MINE" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await db.prisma.secret.count({ where: { workflowId: workflow.id } })).toBe(1);
    expect(
      await db.prisma.secret.count({ where: { teamId: actor.teamId, name: { in: cases.map((c) => c[0]) } } }),
    ).toBe(0);
  });

  it("refuses reserved CAPSTAN_ names in every write path, saying why and what to do", async () => {
    const { actor, workflow } = await setup();
    const reserved = /CAPSTAN_AGENT_TOKEN: names starting with CAPSTAN_ are reserved .*rename it/;
    const set = setSecret(db.prisma, keyring, actor, {
      workflowId: workflow.id,
      name: "CAPSTAN_AGENT_TOKEN",
      value: "v",
    });
    await expect(set).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(reserved),
    });
    const text = "APP_OK=1\nCAPSTAN_AGENT_TOKEN=planted\n";
    const preview = await importEnvFile(db.prisma, actor, { workflowId: workflow.id, text });
    expect(preview.secrets.map((s) => s.name)).toEqual(["APP_OK"]);
    expect(preview.issues).toEqual([
      { line: 2, name: "CAPSTAN_AGENT_TOKEN", message: expect.stringMatching(reserved) },
    ]);
    await expect(
      saveEnvFileSecrets(db.prisma, keyring, actor, { workflowId: workflow.id, text }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      details: { issues: [expect.objectContaining({ line: 2 })] },
    });
    // Nothing was written by any path, not even the valid line of the refused file.
    expect(await db.prisma.secret.count({ where: { workflowId: workflow.id } })).toBe(0);
  });

  it("lists and audits without ever exposing a value", async () => {
    const { actor, workflow } = await setup();
    const values = [`alpha-${randomBytes(8).toString("hex")}`, `beta-${randomBytes(8).toString("hex")}`];
    await setSecret(db.prisma, keyring, actor, { workflowId: workflow.id, name: "ALPHA", value: values[0]! });
    await setSecret(db.prisma, keyring, actor, { workflowId: workflow.id, name: "BETA", value: values[1]! });
    await deleteSecret(db.prisma, actor, { workflowId: workflow.id, name: "BETA" });
    await expect(
      deleteSecret(db.prisma, actor, { workflowId: workflow.id, name: "BETA" }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });

    const list = await listSecrets(db.prisma, actor, { workflowId: workflow.id });
    expect(list.map((s) => s.name)).toEqual(["ALPHA"]);
    expect(list[0]!.updatedBy).toMatchObject({ id: actor.userId, email: actor.email });
    const audit = await db.prisma.auditEvent.findMany({
      where: { teamId: actor.teamId },
      orderBy: { id: "asc" },
    });
    expect(audit.map((e) => e.kind)).toEqual(["secret.written", "secret.written", "secret.deleted"]);
    expect(audit[0]!.data).toMatchObject({ name: "ALPHA", workflowId: workflow.id, created: true });
    const json = JSON.stringify({ list, audit }, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    for (const value of values) expect(json).not.toContain(value);
  });

  it("fails to resolve tampered, moved, missing or wrongly keyed secrets, naming the secret only", async () => {
    const { actor, workflow, team } = await setup();
    const secretValue = `v-${randomBytes(10).toString("hex")}`;
    for (const name of ["ONE", "TWO", "THREE"]) {
      await setSecret(db.prisma, keyring, actor, { workflowId: workflow.id, name, value: secretValue });
    }
    const resolve = (names: string[], ring = keyring, workflowId = workflow.id) =>
      resolveSecrets(db.prisma, ring, { teamId: team.id, workflowId, names });
    const expectFailure = async (promise: Promise<unknown>, pattern: RegExp) => {
      const error = (await promise.then(
        () => null,
        (e: unknown) => e,
      )) as { code?: string; message: string } | null;
      expect(error).not.toBeNull();
      expect(error!.message).toMatch(pattern);
      expect(error!.message).not.toContain(secretValue);
      return error!;
    };

    // Tampered ciphertext.
    const one = await db.prisma.secret.findFirstOrThrow({ where: { workflowId: workflow.id, name: "ONE" } });
    const tampered = Buffer.from(one.ciphertext);
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 0x80;
    await db.prisma.secret.update({ where: { id: one.id }, data: { ciphertext: new Uint8Array(tampered) } });
    expect(
      (await expectFailure(resolve(["ONE"]), /Secret ONE of workflow .* cannot be decrypted/)).code,
    ).toBe("CONFLICT");

    // TWO's ciphertext copied into THREE's row (same team and key, other name).
    const two = await db.prisma.secret.findFirstOrThrow({ where: { workflowId: workflow.id, name: "TWO" } });
    await db.prisma.secret.updateMany({
      where: { workflowId: workflow.id, name: "THREE" },
      data: { ciphertext: two.ciphertext },
    });
    await expectFailure(resolve(["THREE"]), /Secret THREE .*cannot be decrypted/);
    expect(await resolve(["TWO"])).toEqual({ TWO: secretValue });

    // TWO's ciphertext moved to another workflow of the same team.
    const otherWorkflow = await db.prisma.workflow.create({ data: { teamId: team.id, name: "moved" } });
    await db.prisma.secret.create({
      data: {
        teamId: team.id,
        workflowId: otherWorkflow.id,
        name: "TWO",
        ciphertext: two.ciphertext,
        keyId: two.keyId,
      },
    });
    await expectFailure(resolve(["TWO"], keyring, otherWorkflow.id), /Secret TWO .*cannot be decrypted/);

    // Missing secret: never an empty value.
    await expectFailure(resolve(["TWO", "NOPE"]), /Secret NOPE is not set/);

    // Wrong KEK, and a keyring that lacks the team's KEK.
    await expectFailure(
      resolve(["TWO"], parseKeyring(`k1:${newKey()}`)),
      /Secret TWO .*cannot be decrypted.*CAPSTAN_SECRETS_KEY/,
    );
    await expectFailure(resolve(["TWO"], parseKeyring(`k9:${newKey()}`)), /key-encryption key "k1"/);
    await expect(
      resolveSecrets(db.prisma, null, { teamId: team.id, workflowId: workflow.id, names: ["TWO"] }),
    ).rejects.toThrow(/no secrets key/);

    // Moving a ciphertext to another team fails too (different data key and bound team id).
    const other = await setup("Elsewhere");
    await setSecret(db.prisma, keyring, other.actor, {
      workflowId: other.workflow.id,
      name: "SEED",
      value: "x",
    });
    await db.prisma.secret.create({
      data: {
        teamId: other.team.id,
        workflowId: other.workflow.id,
        name: "TWO",
        ciphertext: two.ciphertext,
        keyId: two.keyId,
      },
    });
    await expectFailure(
      resolveSecrets(db.prisma, keyring, {
        teamId: other.team.id,
        workflowId: other.workflow.id,
        names: ["TWO"],
      }),
      /Secret TWO .*cannot be decrypted/,
    );
  });

  it("rotates the team data key and re-wraps data keys under a new KEK", async () => {
    const { actor, workflow, team } = await setup();
    const bystander = await setup("Bystander");
    await setSecret(db.prisma, keyring, actor, { workflowId: workflow.id, name: "A", value: "value-a" });
    await setSecret(db.prisma, keyring, actor, { workflowId: workflow.id, name: "B", value: "value-b" });
    await setSecret(db.prisma, keyring, bystander.actor, {
      workflowId: bystander.workflow.id,
      name: "C",
      value: "value-c",
    });
    const before = await db.prisma.secret.findMany({ where: { teamId: team.id }, orderBy: { name: "asc" } });

    const rotated = await rotateTeamDataKey(db.prisma, keyring, actor);
    expect(rotated.secrets).toBe(2);
    const after = await db.prisma.secret.findMany({ where: { teamId: team.id }, orderBy: { name: "asc" } });
    expect(after.every((s) => s.keyId === rotated.dataKeyId && s.keyId !== before[0]!.keyId)).toBe(true);
    expect(after.map((s) => s.updatedAt.getTime())).toEqual(before.map((s) => s.updatedAt.getTime()));
    const names = { teamId: team.id, workflowId: workflow.id, names: ["A", "B"] };
    expect(await resolveSecrets(db.prisma, keyring, names)).toEqual({ A: "value-a", B: "value-b" });

    // New KEK first, old one kept: everything still reads, then rewrap moves every team to k2.
    const rotatedRing = parseKeyring(`k2:${newKey()},k1:${kek1}`);
    expect(await resolveSecrets(db.prisma, rotatedRing, names)).toEqual({ A: "value-a", B: "value-b" });
    const result = await rewrapDataKeys(db.prisma, rotatedRing);
    expect(result.failed).toEqual([]);
    expect(result.rewrapped).toBeGreaterThanOrEqual(2);
    expect(
      await db.prisma.team.count({ where: { wrappedDataKey: { not: null }, dataKeyKekId: { not: "k2" } } }),
    ).toBe(0);
    expect((await rewrapDataKeys(db.prisma, rotatedRing)).rewrapped).toBe(0);

    // The old KEK can now go.
    const k2Only = parseKeyring(
      rotatedRing.keyIds
        .slice(0, 1)
        .map((id) => `${id}:${rotatedRing.key(id)!.toString("base64")}`)
        .join(","),
    );
    expect(await resolveSecrets(db.prisma, k2Only, names)).toEqual({ A: "value-a", B: "value-b" });
    expect(
      await resolveSecrets(db.prisma, k2Only, {
        teamId: bystander.team.id,
        workflowId: bystander.workflow.id,
        names: ["C"],
      }),
    ).toEqual({ C: "value-c" });
    await expect(resolveSecrets(db.prisma, keyring, names)).rejects.toThrow(/key-encryption key "k2"/);
    const kinds = (await db.prisma.auditEvent.findMany({ where: { teamId: team.id } })).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(["secret.data_key_rotated", "secret.data_key_rewrapped"]));
  });

  it("gives a team exactly one data key under concurrent first writes", async () => {
    const { actor, workflow, team } = await setup();
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        setSecret(db.prisma, keyring, actor, { workflowId: workflow.id, name: `S${i}`, value: `value-${i}` }),
      ),
    );
    const rows = await db.prisma.secret.findMany({ where: { teamId: team.id } });
    expect(new Set(rows.map((r) => r.keyId)).size).toBe(1);
    const resolved = await resolveSecrets(db.prisma, keyring, {
      teamId: team.id,
      workflowId: workflow.id,
      names: rows.map((r) => r.name),
    });
    expect(Object.keys(resolved)).toHaveLength(6);
  });

  it("keeps every secret readable while data key rotations race with writes and deploys", async () => {
    const { actor, workflow, team } = await setup();
    for (let i = 0; i < 5; i++) {
      await setSecret(db.prisma, keyring, actor, {
        workflowId: workflow.id,
        name: `BASE_${i}`,
        value: `base-${i}`,
      });
    }
    const names = Array.from({ length: 5 }, (_, i) => `BASE_${i}`);
    const expected = Object.fromEntries(names.map((n, i) => [n, `base-${i}`]));
    const work: Promise<unknown>[] = [];
    for (let round = 0; round < 3; round++) {
      work.push(rotateTeamDataKey(db.prisma, keyring, actor));
      work.push(
        setSecret(db.prisma, keyring, actor, {
          workflowId: workflow.id,
          name: `NEW_${round}`,
          value: `new-${round}`,
        }),
      );
      work.push(
        resolveSecrets(db.prisma, keyring, { teamId: team.id, workflowId: workflow.id, names }).then(
          (values) => expect(values).toEqual(expected),
        ),
      );
    }
    const results = await Promise.allSettled(work);
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    const all = await db.prisma.secret.findMany({ where: { teamId: team.id } });
    expect(new Set(all.map((s) => s.keyId)).size).toBe(1);
    const resolved = await resolveSecrets(db.prisma, keyring, {
      teamId: team.id,
      workflowId: workflow.id,
      names: all.map((s) => s.name),
    });
    expect(resolved).toMatchObject({ ...expected, NEW_0: "new-0", NEW_1: "new-1", NEW_2: "new-2" });
  });

  it("imports a .env file: preview with masked values, then one all-or-nothing save", async () => {
    const { actor, workflow, team } = await setup();
    await setSecret(db.prisma, keyring, actor, {
      workflowId: workflow.id,
      name: "EXISTING",
      value: "old-value",
    });
    const text =
      "export EXISTING=\"new-value-long-enough\"\n# comment\nAPI_KEY='sk_live_abcdefgh'\nSHORT=abc # note\n";
    const preview = await importEnvFile(db.prisma, actor, { workflowId: workflow.id, text });
    expect(preview.issues).toEqual([]);
    expect(preview.secrets.map((s) => [s.name, s.replaces, s.length])).toEqual([
      ["EXISTING", true, 21],
      ["API_KEY", false, 16],
      ["SHORT", false, 3],
    ]);
    const previewJson = JSON.stringify(preview);
    for (const v of ["new-value-long-enough", "sk_live_abcdefgh", "abc"])
      expect(previewJson).not.toContain(v);
    expect(await db.prisma.secret.count({ where: { workflowId: workflow.id } })).toBe(1);

    const bad = `${text}broken line\n`;
    await expect(
      saveEnvFileSecrets(db.prisma, keyring, actor, { workflowId: workflow.id, text: bad }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      details: { issues: [expect.objectContaining({ line: 5 })] },
    });
    expect(await db.prisma.secret.count({ where: { workflowId: workflow.id } })).toBe(1);

    const saved = await saveEnvFileSecrets(db.prisma, keyring, actor, { workflowId: workflow.id, text });
    expect(saved.map((s) => [s.name, s.created])).toEqual([
      ["EXISTING", false],
      ["API_KEY", true],
      ["SHORT", true],
    ]);
    expect(
      await resolveSecrets(db.prisma, keyring, {
        teamId: team.id,
        workflowId: workflow.id,
        names: ["EXISTING", "API_KEY", "SHORT"],
      }),
    ).toEqual({ EXISTING: "new-value-long-enough", API_KEY: "sk_live_abcdefgh", SHORT: "abc" });
    const events = await db.prisma.auditEvent.findMany({
      where: { teamId: team.id, kind: "secret.written" },
    });
    expect(events.filter((e) => (e.data as { source?: string }).source === "env-file")).toHaveLength(3);
  });
});
