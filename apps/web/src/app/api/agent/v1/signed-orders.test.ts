// The control plane's side of "the agent trusts one key", through the real route handlers and the
// real protocol client on a fresh PostgreSQL database: enrollment hands out the key, the poll's
// job and the heartbeat's upgrade order are signed for exactly that host and verify with it.
import {
  createTestHost,
  createTestRevision,
  createTestTeam,
  deployTo,
} from "@capstan/core/deployments/test-fixtures";
import { createEnrollmentToken } from "@capstan/core/enrollment/create-enrollment-token";
import { requestAgentUpgrades } from "@capstan/core/fleet/request-agent-upgrades";
import { requestHostPrune } from "@capstan/core/hosts/request-host-prune";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import {
  ControlPlaneSignatureError,
  createAgentClient,
  enrollAgent,
  generateAgentKeyPair,
  verifyForHost,
} from "@capstan/protocol";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ok = requireComponents("web/signed-orders", await postgresAvailable());
const BASE = "http://capstan.test";

describe.skipIf(!ok)("signed job assignments and upgrade orders (route handlers)", () => {
  let db: TestDatabase;
  let teamId: string;
  let dispatch: (request: Request) => Promise<Response>;
  let stopEngine: () => Promise<void>;
  const fetchViaHandlers = (async (input: RequestInfo | URL, init?: RequestInit) =>
    dispatch(new Request(input, init))) as typeof fetch;

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    // Imported only now: the app's env module reads DATABASE_URL when first loaded.
    dispatch = await (await import("../../../../../test/agent-dispatch")).loadAgentRoutes();
    stopEngine = (await import("@/server/agent/engine")).stopAgentEngine;
    teamId = (await createTestTeam(db.prisma)).id;
  });
  afterAll(async () => {
    await stopEngine?.();
    await db?.drop();
  });

  async function enroll(name: string) {
    const { token } = await createEnrollmentToken(db.prisma, {
      teamId,
      actor: { type: "SYSTEM" },
      input: {},
    });
    const keys = generateAgentKeyPair();
    const enrolled = await enrollAgent(
      BASE,
      { token, publicKey: keys.publicKey, hostName: name, facts: { arch: "x64" }, agentVersion: "0.1.0" },
      { fetch: fetchViaHandlers },
    );
    const client = createAgentClient({
      baseUrl: BASE,
      hostId: enrolled.hostId,
      privateKey: keys.privateKeyPem,
      fetch: fetchViaHandlers,
    });
    return { enrolled, client };
  }

  // First, before anything in this process has loaded the key (a failed load is not cached).
  it("a control plane that cannot open its key fails a claimed job with the reason and sends nothing", async () => {
    await db.prisma.controlPlaneKey.create({
      data: {
        publicKey: generateAgentKeyPair().publicKey,
        privateKey: new Uint8Array(64),
        kekId: "kek-gone",
      },
    });
    const host = await createTestHost(db.prisma, teamId);
    const revision = await createTestRevision(db.prisma, teamId);
    const { jobIds } = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    const client = createAgentClient({
      baseUrl: BASE,
      hostId: host.id,
      privateKey: host.keys.privateKeyPem,
      fetch: fetchViaHandlers,
    });
    expect((await client.poll({ waitSeconds: 0 })).job).toBeNull();
    const job = await db.prisma.job.findUniqueOrThrow({ where: { id: jobIds[0]! } });
    expect(job.state).toBe("FAILED");
    expect(job.error).toMatch(/cannot sign this job: .*sealed by key-encryption key "kek-gone"/);
    await db.prisma.controlPlaneKey.deleteMany({});
  });

  it("hands every host the same key and signs each host's job and upgrade order for that host only", async () => {
    const a = await enroll("signed-a");
    const b = await enroll("signed-b");
    const key = a.enrolled.controlPlaneKey!;
    expect(key).toMatch(/^[A-Za-z0-9+/]{59}=$/);
    expect(b.enrolled.controlPlaneKey).toBe(key);

    const revision = await createTestRevision(db.prisma, teamId);
    await deployTo(db.prisma, teamId, revision.id, [a.enrolled.hostId]);
    const job = (await a.client.poll({ waitSeconds: 0 })).job!;
    expect(job.signature).toMatchObject({ alg: "Ed25519", hostId: a.enrolled.hostId });
    const asJob = { purpose: "job-assignment" as const, publicKey: key };
    expect(() => verifyForHost(job, { ...asJob, hostId: a.enrolled.hostId })).not.toThrow();
    // Replayed to host B, or altered, it does not verify.
    expect(() => verifyForHost(job, { ...asJob, hostId: b.enrolled.hostId })).toThrow(
      ControlPlaneSignatureError,
    );
    expect(() =>
      verifyForHost(
        { ...job, hostPolicy: { ...job.hostPolicy, allowPrivileged: true } },
        { ...asJob, hostId: a.enrolled.hostId },
      ),
    ).toThrow(ControlPlaneSignatureError);

    await requestAgentUpgrades(db.prisma, {
      teamId,
      hostIds: [a.enrolled.hostId],
      actor: { type: "SYSTEM", label: "signed-orders test" },
      release: { version: "0.2.0", executableSha256: { x64: "a".repeat(64) }, bundleSha256: "b".repeat(64) },
      deadlineSeconds: 90,
    });
    const beat = await a.client.heartbeat({ agentVersion: "0.1.0", services: [] });
    expect(beat.controlPlaneKey).toBe(key);
    expect(beat.upgrade?.version).toBe("0.2.0");
    expect(() =>
      verifyForHost(beat.upgrade!, { purpose: "agent-upgrade", publicKey: key, hostId: a.enrolled.hostId }),
    ).not.toThrow();
    expect(() =>
      verifyForHost(beat.upgrade!, { purpose: "job-assignment", publicKey: key, hostId: a.enrolled.hostId }),
    ).toThrow(ControlPlaneSignatureError);
  });

  it("signs a prune order for its host only, as a prune order", async () => {
    const a = await enroll("signed-prune-a");
    const b = await enroll("signed-prune-b");
    const key = a.enrolled.controlPlaneKey!;
    const { orderId } = await requestHostPrune(db.prisma, {
      teamId,
      hostId: a.enrolled.hostId,
      actor: { type: "SYSTEM", label: "signed-orders test" },
    });
    const beat = await a.client.heartbeat({ agentVersion: "0.1.0", services: [] });
    expect(beat.prune?.id).toBe(orderId);
    const asPrune = { purpose: "host-prune" as const, publicKey: key };
    expect(() => verifyForHost(beat.prune!, { ...asPrune, hostId: a.enrolled.hostId })).not.toThrow();
    expect(() => verifyForHost(beat.prune!, { ...asPrune, hostId: b.enrolled.hostId })).toThrow(
      ControlPlaneSignatureError,
    );
    expect(() =>
      verifyForHost(beat.prune!, { purpose: "agent-upgrade", publicKey: key, hostId: a.enrolled.hostId }),
    ).toThrow(ControlPlaneSignatureError);
    expect((await b.client.heartbeat({ agentVersion: "0.1.0", services: [] })).prune).toBeUndefined();
  });
});
