// Registry passwords (and the ACME EAB key of a workflow's `tls`) travel like service secrets:
// the stored job holds the secret's name only, the value is decrypted at claim time into the
// claim answer; a missing one fails the job without ever naming a value. An uploaded certificate
// (`tls: { issuer: custom }`) is checked there too: a key of another certificate fails the job.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { makeTestCa, requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestMember, postgresComponent } from "../../test/fixtures";
import { createTestHost, createTestRevision, createTestTeam, deployTo } from "../deployments/test-fixtures";
import { parseKeyring } from "../secrets/keyring";
import { resolveSecrets } from "../secrets/resolve-secrets";
import { setSecret } from "../secrets/set-secret";
import { claimNextJob } from "./claim-job";

const ok = requireComponents("core/jobs registries", await postgresComponent());

describe.skipIf(!ok)("registry passwords at claim time", { timeout: 60_000 }, () => {
  let db: TestDatabase;
  let teamId: string;
  const keyring = parseKeyring(`k1:${randomBytes(32).toString("base64")}`);
  const registries = [{ server: "registry.example.com:5000", username: "ci", password: "REGISTRY_TOKEN" }];

  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma)).id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  const claim = (hostId: string) =>
    claimNextJob(db.prisma, {
      hostId,
      leaseSeconds: 30,
      resolveSecrets: (args) => resolveSecrets(db.prisma, keyring, args),
    });

  it("sends the password only in the claim answer; the stored job names the secret", async () => {
    const revision = await createTestRevision(db.prisma, teamId, {
      secrets: ["REGISTRY_TOKEN"],
      serviceSecrets: [],
      registries,
    });
    const { actor } = await createTestMember(db.prisma, teamId, "ADMIN");
    const value = `tok-${randomBytes(16).toString("hex")}`;
    await setSecret(db.prisma, keyring, actor, {
      workflowId: revision.workflowId,
      name: "REGISTRY_TOKEN",
      value,
    });
    const host = await createTestHost(db.prisma, teamId);
    const { jobIds } = await deployTo(db.prisma, teamId, revision.id, [host.id]);

    const job = await claim(host.id);
    expect(job?.registries).toEqual([{ ...registries[0], password: value }]);
    const stored = await db.prisma.job.findUniqueOrThrow({ where: { id: jobIds[0] } });
    const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? String(x) : x));
    expect(json(stored)).not.toContain(value);
    expect((stored.payload as { registries: unknown }).registries).toEqual(registries);
    const events = await db.prisma.auditEvent.findMany({ where: { teamId } });
    expect(json(events)).not.toContain(value);
  });

  it("fails the job when the password secret has no value", async () => {
    const revision = await createTestRevision(db.prisma, teamId, {
      secrets: ["REGISTRY_TOKEN"],
      serviceSecrets: [],
      registries,
    });
    const host = await createTestHost(db.prisma, teamId);
    const { jobIds } = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    expect(await claim(host.id)).toBeNull();
    const stored = await db.prisma.job.findUniqueOrThrow({ where: { id: jobIds[0] } });
    expect(stored.state).toBe("FAILED");
    expect(stored.error).toMatch(/registry registry\.example\.com:5000: Secret REGISTRY_TOKEN is not set/);
  });

  it("sends the workflow's tls with its EAB key only in the claim answer", async () => {
    const tls = {
      acme: { directory: "https://acme.example.com/dir", eab: { keyId: "kid-1", hmacKey: "ACME_EAB" } },
    };
    const revision = await createTestRevision(db.prisma, teamId, {
      secrets: ["ACME_EAB"],
      serviceSecrets: [],
      tls,
    });
    const { actor } = await createTestMember(db.prisma, teamId, "ADMIN");
    const value = `mac-${randomBytes(16).toString("hex")}`;
    await setSecret(db.prisma, keyring, actor, { workflowId: revision.workflowId, name: "ACME_EAB", value });
    const host = await createTestHost(db.prisma, teamId);
    const { jobIds } = await deployTo(db.prisma, teamId, revision.id, [host.id]);

    const job = await claim(host.id);
    expect(job?.tls).toEqual({ issuer: "acme", acme: { ...tls.acme, staging: false }, eabMacKey: value });
    const stored = await db.prisma.job.findUniqueOrThrow({ where: { id: jobIds[0] } });
    expect(JSON.stringify(stored.payload)).not.toContain(value);
    expect((stored.payload as { tls: unknown }).tls).toEqual({
      issuer: "acme",
      acme: { ...tls.acme, staging: false },
    });
  });

  it("fails the job when the EAB key has no value", async () => {
    const tls = { acme: { eab: { keyId: "kid-1", hmacKey: "ACME_EAB" } } };
    const revision = await createTestRevision(db.prisma, teamId, {
      secrets: ["ACME_EAB"],
      serviceSecrets: [],
      tls,
    });
    const host = await createTestHost(db.prisma, teamId);
    const { jobIds } = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    expect(await claim(host.id)).toBeNull();
    const stored = await db.prisma.job.findUniqueOrThrow({ where: { id: jobIds[0] } });
    expect(stored.state).toBe("FAILED");
    expect(stored.error).toMatch(/the ACME EAB key \(tls\.acme\.eab\.hmacKey\): Secret ACME_EAB is not set/);
  });

  it("sends an uploaded certificate and key only in the claim answer, after checking them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "capstan-claim-cert-"));
    try {
      const ca = makeTestCa(dir, "claim");
      const good = ca.issue(["shop.example.com"]);
      const stranger = ca.issue(["shop.example.com"]);
      const { actor } = await createTestMember(db.prisma, teamId, "ADMIN");
      const deploy = async (key: string) => {
        const revision = await createTestRevision(db.prisma, teamId, {
          secrets: ["SHOP_CERT", "SHOP_KEY"],
          serviceSecrets: [],
          tls: { issuer: "custom", certificate: "SHOP_CERT", key: "SHOP_KEY" },
          domains: [{ host: "shop.example.com", port: 80 }],
        });
        const set = (name: string, value: string) =>
          setSecret(db.prisma, keyring, actor, { workflowId: revision.workflowId, name, value });
        // Secrets are single-line: the PEMs are stored base64-encoded.
        await set("SHOP_CERT", Buffer.from(good.cert).toString("base64"));
        await set("SHOP_KEY", Buffer.from(key).toString("base64"));
        const host = await createTestHost(db.prisma, teamId);
        const { jobIds } = await deployTo(db.prisma, teamId, revision.id, [host.id]);
        return { job: await claim(host.id), jobId: jobIds[0]! };
      };

      const ok = await deploy(good.key);
      expect(ok.job?.tls).toMatchObject({ issuer: "custom", certificatePem: good.cert, keyPem: good.key });
      const stored = await db.prisma.job.findUniqueOrThrow({ where: { id: ok.jobId } });
      expect(JSON.stringify(stored.payload)).not.toContain("PRIVATE KEY");

      const bad = await deploy(stranger.key);
      expect(bad.job).toBeNull();
      const failed = await db.prisma.job.findUniqueOrThrow({ where: { id: bad.jobId } });
      expect(failed.state).toBe("FAILED");
      expect(failed.error).toContain(
        "the key in secret SHOP_KEY does not belong to the certificate in secret SHOP_CERT",
      );
      expect(failed.error).not.toContain("BEGIN");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
