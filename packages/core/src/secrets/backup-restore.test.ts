// Runs the real `scripts/backup.ts` and `scripts/restore.ts` (pg_dump / pg_restore) between two
// test databases and checks that teams, workflows, revisions and encrypted secrets come back
// and still decrypt with the same keyring.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { executable, requireComponents, runRepoScript } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestMember, createTestTeam } from "../../test/fixtures";
import { parseKeyring } from "./keyring";
import { resolveSecrets } from "./resolve-secrets";
import { setSecret } from "./set-secret";

const ok = requireComponents(
  "backup/restore",
  await postgresAvailable(),
  executable("/usr/bin/pg_dump"),
  executable("/usr/bin/pg_restore"),
);

const serialize = (rows: unknown) =>
  JSON.stringify(rows, (_k, v) =>
    typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v,
  );

describe.skipIf(!ok)("npm run backup / npm run restore", { timeout: 60_000 }, () => {
  let source: TestDatabase;
  let target: TestDatabase;
  let dir: string;
  const keyText = `k1:${randomBytes(32).toString("base64")}`;
  const keyring = parseKeyring(keyText);
  const values = {
    DB_PASSWORD: `db-${randomBytes(9).toString("hex")}`,
    API_KEY: `api-${randomBytes(9).toString("hex")}`,
  };
  let ids: { teamId: string; workflowId: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "capstan-backup-"));
    source = await createTestDatabase();
    target = await createTestDatabase({ migrated: false });
    const team = await createTestTeam(source.prisma, "Backed Up");
    const { actor } = await createTestMember(source.prisma, team.id, "OWNER");
    const workflow = await source.prisma.workflow.create({ data: { teamId: team.id, name: "web" } });
    await source.prisma.revision.create({
      data: {
        workflowId: workflow.id,
        number: 1,
        source: "name: web\n",
        spec: { name: "web", services: [] },
        contentHash: "a".repeat(64),
        authorId: actor.userId,
      },
    });
    for (const [name, value] of Object.entries(values)) {
      await setSecret(source.prisma, keyring, actor, { workflowId: workflow.id, name, value });
    }
    ids = { teamId: team.id, workflowId: workflow.id };
  }, 60_000);

  afterAll(async () => {
    await source?.drop();
    await target?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses to run without DATABASE_URL", async () => {
    const run = await runRepoScript("backup.ts", ["--out", join(dir, "never.dump")], {
      DATABASE_URL: undefined,
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/DATABASE_URL is not set/);
  });

  it("backs up, restores into an empty database, and secrets still decrypt with the same key", async () => {
    const file = join(dir, "capstan.dump");
    const backup = await runRepoScript("backup.ts", ["--out", file], { DATABASE_URL: source.url });
    expect(backup.stderr).toBe("");
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/\[backup\] table public\.Secret/);
    expect(backup.stdout).toContain(`wrote ${file}`);
    expect(backup.stdout).toMatch(/needs key-encryption key\(s\): k1/);
    expect(backup.stdout).toMatch(/REMINDER: .*CAPSTAN_SECRETS_KEY/);
    expect(backup.stdout).not.toContain(source.url);
    expect(statSync(file).mode & 0o077).toBe(0);

    // A second backup to the same file is refused.
    const again = await runRepoScript("backup.ts", ["--out", file], { DATABASE_URL: source.url });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/exists; pass --force/);

    const restore = await runRepoScript("restore.ts", [file], {
      DATABASE_URL: target.url,
      CAPSTAN_SECRETS_KEY: keyText,
      CAPSTAN_SECRETS_KEY_FILE: undefined,
    });
    expect(restore.stderr).toBe("");
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(/\[restore\] table public\.Team/);
    expect(restore.stdout).toMatch(/restored: 1 teams, 1 users, .*1 workflows, 1 revisions, 2 secrets/);
    expect(restore.stdout).toMatch(/holds every key-encryption key/);

    for (const model of [
      "team",
      "user",
      "membership",
      "workflow",
      "revision",
      "secret",
      "auditEvent",
    ] as const) {
      // biome-ignore lint/suspicious/noExplicitAny: the same findMany on each model delegate
      const read = (db: TestDatabase) => (db.prisma[model] as any).findMany({ orderBy: { id: "asc" } });
      const [before, after] = [await read(source), await read(target)];
      expect(after.length, model).toBeGreaterThan(0);
      expect(serialize(after), model).toBe(serialize(before));
    }
    expect(await resolveSecrets(target.prisma, keyring, { ...ids, names: Object.keys(values) })).toEqual(
      values,
    );
    await expect(
      resolveSecrets(target.prisma, parseKeyring(`k1:${randomBytes(32).toString("base64")}`), {
        ...ids,
        names: ["API_KEY"],
      }),
    ).rejects.toThrow(/Secret API_KEY .*cannot be decrypted/);
  });

  it("refuses a non-empty target unless --force, and reports a key that lacks the needed KEK", async () => {
    const file = join(dir, "capstan.dump");
    await target.prisma.secret.deleteMany({ where: { name: "API_KEY" } });
    const refused = await runRepoScript("restore.ts", [file], { DATABASE_URL: target.url });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/is not empty .*--force/);
    expect(await target.prisma.secret.count()).toBe(1);

    const forced = await runRepoScript("restore.ts", [file, "--force"], {
      DATABASE_URL: target.url,
      CAPSTAN_SECRETS_KEY: `other:${randomBytes(32).toString("base64")}`,
      CAPSTAN_SECRETS_KEY_FILE: undefined,
    });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/--force: replacing/);
    expect(forced.stdout).toMatch(/WARNING: the configured secrets key lacks k1/);
    expect(await resolveSecrets(target.prisma, keyring, { ...ids, names: Object.keys(values) })).toEqual(
      values,
    );
  });

  it("npm run secrets:rewrap moves the restored data keys to a new key-encryption key", async () => {
    const k2 = `k2:${randomBytes(32).toString("base64")}`;
    const run = await runRepoScript("rewrap-secret-keys.ts", [], {
      DATABASE_URL: target.url,
      CAPSTAN_SECRETS_KEY: `${k2},${keyText}`,
      CAPSTAN_SECRETS_KEY_FILE: undefined,
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/re-wrapped 1 team data key\(s\) with k2; 0 already used it/);
    expect(run.stdout).not.toContain(k2.slice(3));
    expect(
      await resolveSecrets(target.prisma, parseKeyring(k2), { ...ids, names: Object.keys(values) }),
    ).toEqual(values);
    await expect(resolveSecrets(target.prisma, keyring, { ...ids, names: ["API_KEY"] })).rejects.toThrow(
      /key-encryption key "k2"/,
    );
  });

  it("refuses a file that is not a backup", async () => {
    const bogus = join(dir, "bogus.dump");
    writeFileSync(bogus, "not a dump");
    const run = await runRepoScript("restore.ts", [bogus], { DATABASE_URL: target.url });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/not a pg_dump custom-format archive/);
  });
});
