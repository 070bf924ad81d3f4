// The attack: the agent's signature covers method and path, so a request must be verified against
// the path exactly as it travelled. A request sent to `/api/agent/v1/./poll` (or an escaped
// spelling) reaches the poll handler once the URL is normalised; it must not authenticate as
// `/api/agent/v1/poll`, whichever path it was signed for. Driven with raw HTTP (node:http sends
// the path unnormalised) against the production build under `next start`.
import {
  createTestHost,
  createTestRevision,
  createTestTeam,
  deployTo,
  type TestHost,
} from "@capstan/core/deployments/test-fixtures";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { importAgentPrivateKey, signAgentRequest } from "@capstan/protocol";
import { isCI, requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureProductionBuild, type RunningServer, startNextServer } from "@/server/agent/test-server";
import { rawRequest } from "../../../../../test/raw-request";

const ok = requireComponents("web/agent-path-attack", await postgresAvailable());

/** One raw request: `sentPath` goes on the wire as is; the token is signed for `signedPath`. */
async function rawPoll(server: RunningServer, host: TestHost, sentPath: string, signedPath = sentPath) {
  const body = JSON.stringify({ waitSeconds: 0 });
  const token = await signAgentRequest({
    hostId: host.id,
    privateKey: importAgentPrivateKey(host.keys.privateKeyPem),
    method: "POST",
    path: signedPath,
    body,
  });
  return rawRequest(server.port, {
    method: "POST",
    path: sentPath,
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      // A client may not choose the target the server verifies: this header is overwritten.
      "x-capstan-request-target": signedPath,
    },
    body,
  });
}

describe.skipIf(!ok)("agent request paths are verified exactly as sent", () => {
  let db: TestDatabase;
  let server: RunningServer | undefined;

  beforeAll(async () => {
    ensureProductionBuild();
    db = await createTestDatabase();
    server = await startNextServer({ databaseUrl: db.url, stdio: isCI ? "inherit" : "ignore" });
  }, 900_000);
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it("refuses a poll sent to a path that only normalises to /api/agent/v1/poll, and claims nothing", async () => {
    const teamId = (await createTestTeam(db.prisma)).id;
    const host = await createTestHost(db.prisma, teamId);
    const revision = await createTestRevision(db.prisma, teamId);
    const { jobIds } = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    const jobState = async () => (await db.prisma.job.findUniqueOrThrow({ where: { id: jobIds[0]! } })).state;

    const attacks: [sent: string, signed: string][] = [
      // Signed for the real path, sent through a dot segment (a proxy rule on /poll never sees it).
      ["/api/agent/v1/./poll", "/api/agent/v1/poll"],
      // Signed for the dotted path itself: still not the poll endpoint's spelling.
      ["/api/agent/v1/./poll", "/api/agent/v1/./poll"],
      ["/api/agent/v1/jobs/../poll", "/api/agent/v1/jobs/../poll"],
      ["/api/agent/v1/jobs/../poll", "/api/agent/v1/poll"],
      ["/api/agent/v1/%70oll", "/api/agent/v1/%70oll"],
      ["/api/agent/v1/%70oll", "/api/agent/v1/poll"],
    ];
    for (const [sent, signed] of attacks) {
      const answer = await rawPoll(server!, host, sent, signed);
      expect({ sent, signed, status: answer.status }).not.toMatchObject({ status: 200 });
      expect(answer.status).toBeGreaterThanOrEqual(300);
      expect(answer.body).not.toContain(jobIds[0]!);
    }
    expect(await jobState()).toBe("QUEUED");

    // The same request on the canonical path works, so the refusals above are about the path alone.
    const answer = await rawPoll(server!, host, "/api/agent/v1/poll");
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).job.id).toBe(jobIds[0]);
    expect(await jobState()).toBe("RUNNING");
  }, 120_000);
});
