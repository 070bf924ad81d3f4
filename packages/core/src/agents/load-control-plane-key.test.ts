// The control plane's signing key against real PostgreSQL: replicas racing on first use end with
// one key, the private key is stored sealed (never as PEM) when a keyring exists, a clear key from
// a keyring-less start is sealed later, and a keyring without the sealing KEK is refused clearly.
import { randomBytes, sign, verify } from "node:crypto";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { importAgentPublicKey } from "@capstan/protocol";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresComponent } from "../../test/fixtures";
import { parseKeyring } from "../secrets/keyring";
import { loadControlPlaneKey } from "./load-control-plane-key";

const ok = requireComponents("core/control-plane-key", await postgresComponent());
const keyring = (id: string) => parseKeyring(`${id}:${randomBytes(32).toString("base64")}`);

describe.skipIf(!ok)("control-plane signing key", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("is created once by racing replicas, sealed by the keyring, and signs verifiably", async () => {
    const ring = keyring("kek-a");
    const keys = await Promise.all(Array.from({ length: 5 }, () => loadControlPlaneKey(db.prisma, ring)));
    expect(new Set(keys.map((k) => k.publicKey)).size).toBe(1);
    const row = await db.prisma.controlPlaneKey.findUniqueOrThrow({ where: { id: 1 } });
    expect(row.kekId).toBe("kek-a");
    expect(Buffer.from(row.privateKey).toString("latin1")).not.toContain("PRIVATE KEY");
    const message = Buffer.from("deploy");
    const signature = sign(null, message, keys[0]!.privateKey);
    expect(verify(null, message, importAgentPublicKey(row.publicKey), signature)).toBe(true);

    await expect(loadControlPlaneKey(db.prisma, keyring("kek-other"))).rejects.toThrow(
      /sealed by key-encryption key "kek-a".*does not hold/,
    );
    await expect(loadControlPlaneKey(db.prisma, null)).rejects.toThrow(/kek-a/);
  });

  it("a key kept clear without a keyring is sealed by the first keyring, and keeps its public half", async () => {
    await db.prisma.controlPlaneKey.deleteMany({});
    const clear = await loadControlPlaneKey(db.prisma, null);
    expect((await db.prisma.controlPlaneKey.findUniqueOrThrow({ where: { id: 1 } })).kekId).toBeNull();
    const ring = keyring("kek-b");
    const sealed = await loadControlPlaneKey(db.prisma, ring);
    expect(sealed.publicKey).toBe(clear.publicKey);
    const row = await db.prisma.controlPlaneKey.findUniqueOrThrow({ where: { id: 1 } });
    expect(row.kekId).toBe("kek-b");
    expect(Buffer.from(row.privateKey).toString("latin1")).not.toContain("PRIVATE KEY");
    expect((await loadControlPlaneKey(db.prisma, ring)).publicKey).toBe(clear.publicKey);
  });
});
