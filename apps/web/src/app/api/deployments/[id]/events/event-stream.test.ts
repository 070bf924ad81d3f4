// The SSE route handler against real PostgreSQL and the real job engine: events arrive in order
// and live, the stream ends when the deployment is final, outsiders are refused.
import { createTestHost, createTestRevision, deployTo } from "@capstan/core/deployments/test-fixtures";
import { claimNextJob } from "@capstan/core/jobs/claim-job";
import { completeJob } from "@capstan/core/jobs/complete-job";
import { recordJobEvents } from "@capstan/core/jobs/record-job-events";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestMember,
  createTestTeam,
  postgresComponent,
} from "../../../../../../../../packages/core/test/fixtures";
import { HOSTILE_ORIGIN_HEADERS } from "../../../../../../test/cross-origin-fixtures";
import { createDeploymentEventsHandler } from "./event-stream";

const ok = requireComponents("web/deployment event stream", await postgresComponent());

interface SseMessage {
  event: string;
  id?: string;
  data: unknown;
}

/** Reads SSE messages from a response until `until` returns true or the stream ends. */
async function readMessages(response: Response, until: (m: SseMessage[]) => boolean = () => false) {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const messages: SseMessage[] = [];
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(
        block
          .split("\n")
          .filter((line) => !line.startsWith(":") && line.includes(": "))
          .map((line) => [line.slice(0, line.indexOf(": ")), line.slice(line.indexOf(": ") + 2)]),
      );
      if (fields.event)
        messages.push({ event: fields.event, id: fields.id, data: JSON.parse(fields.data ?? "null") });
      end = buffer.indexOf("\n\n");
    }
    if (until(messages)) {
      await reader.cancel();
      break;
    }
  }
  return messages;
}

describe.skipIf(!ok)("GET /api/deployments/:id/events", () => {
  let db: TestDatabase;
  let teamId: string;
  let viewerId: string;
  let outsiderId: string;
  let userId: string | null = null;
  let handler: ReturnType<typeof createDeploymentEventsHandler>;
  const call = (deploymentId: string, query: string, headers: HeadersInit = {}) =>
    handler(new Request(`http://127.0.0.1/api/deployments/${deploymentId}/events?${query}`, { headers }), {
      params: Promise.resolve({ id: deploymentId }),
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma, "Main")).id;
    viewerId = (await createTestMember(db.prisma, teamId, "VIEWER")).user.id;
    const other = await createTestTeam(db.prisma, "Other");
    outsiderId = (await createTestMember(db.prisma, other.id, "OWNER")).user.id;
    handler = createDeploymentEventsHandler({
      prisma: db.prisma,
      getUserId: async () => userId,
      pollMs: 50,
      recheckMs: 100,
    });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("streams events in order as they are recorded, then the final progress and the end", async () => {
    const revision = await createTestRevision(db.prisma, teamId, { services: ["db", "api"] });
    const host = await createTestHost(db.prisma, teamId);
    const { deployment } = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    const job = (await claimNextJob(db.prisma, { hostId: host.id, leaseSeconds: 30 }))!;
    const lease = { hostId: host.id, jobId: job.id, leaseId: job.leaseId };
    const at = () => new Date().toISOString();
    await recordJobEvents(db.prisma, {
      ...lease,
      events: [
        { seq: 1, at: at(), type: "step", service: "db", state: "RUNNING" },
        { seq: 2, at: at(), type: "log", service: "db", level: "info", message: "line 2" },
      ],
    });

    userId = viewerId;
    const response = await call(deployment.id, `teamId=${teamId}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reading = readMessages(response);
    // Written while the stream is open: they must arrive live, after the first two.
    await new Promise((resolve) => setTimeout(resolve, 150));
    await recordJobEvents(db.prisma, {
      ...lease,
      events: [
        { seq: 3, at: at(), type: "log", service: "db", level: "info", message: "line 3" },
        { seq: 4, at: at(), type: "step", service: "db", state: "SUCCEEDED" },
      ],
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await recordJobEvents(db.prisma, {
      ...lease,
      events: [{ seq: 5, at: at(), type: "log", service: "api", level: "warn", message: "line 5" }],
    });
    await completeJob(db.prisma, {
      hostId: host.id,
      hostName: host.name,
      jobId: job.id,
      request: {
        leaseId: job.leaseId,
        state: "SUCCEEDED",
        services: [
          { service: "db", state: "SUCCEEDED" },
          { service: "api", state: "SUCCEEDED" },
        ],
      },
    });
    const messages = await reading;

    const batches = messages.filter((m) => m.event === "events");
    expect(batches.length).toBeGreaterThanOrEqual(2);
    const events = batches.flatMap((m) => m.data as { seq: number; message: string }[]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(events[4]!.message).toBe("line 5");
    expect(batches.at(-1)!.id).toBe("0:5");
    const progress = messages.filter((m) => m.event === "progress").map((m) => m.data as { status: string });
    expect(progress[0]!.status).toBe("RUNNING");
    expect(progress.at(-1)!.status).toBe("SUCCEEDED");
    expect(messages.at(-1)).toEqual({ event: "end", data: { status: "SUCCEEDED" }, id: undefined });

    // Reconnecting with Last-Event-ID resumes after it: only the end remains.
    const again = await readMessages(
      await call(deployment.id, `teamId=${teamId}`, { "last-event-id": "0:4" }),
    );
    expect(again.filter((m) => m.event === "events").flatMap((m) => m.data as { seq: number }[])).toEqual([
      expect.objectContaining({ seq: 5 }),
    ]);
    expect(again.at(-1)!.event).toBe("end");
  });

  it("refuses the signed-out, non-members, another team's deployment and a removed member", async () => {
    const revision = await createTestRevision(db.prisma, teamId);
    const host = await createTestHost(db.prisma, teamId);
    const { deployment } = await deployTo(db.prisma, teamId, revision.id, [host.id]);

    userId = null;
    expect((await call(deployment.id, `teamId=${teamId}`)).status).toBe(401);

    userId = outsiderId;
    const outsider = await call(deployment.id, `teamId=${teamId}`);
    expect(outsider.status).toBe(404);
    expect(await outsider.json()).toEqual({ error: { code: "NOT_FOUND", message: "Team not found." } });

    // The outsider's own team does not own this deployment: same answer as a missing one.
    const ownTeam = (await db.prisma.membership.findFirstOrThrow({ where: { userId: outsiderId } })).teamId;
    const foreign = await call(deployment.id, `teamId=${ownTeam}`);
    const missing = await call("00000000-0000-4000-8000-000000000000", `teamId=${ownTeam}`);
    expect([foreign.status, missing.status]).toEqual([404, 404]);
    expect(await foreign.json()).toEqual(await missing.json());

    // A member removed while watching is cut off at the next membership check.
    const { user, membership } = await createTestMember(db.prisma, teamId, "VIEWER");
    userId = user.id;
    const watching = await call(deployment.id, `teamId=${teamId}`);
    expect(watching.status).toBe(200);
    const reading = readMessages(watching);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await db.prisma.membership.delete({ where: { id: membership.id } });
    const messages = await reading;
    expect(messages.at(-1)).toEqual({
      event: "failure",
      data: { message: "Team not found." },
      id: undefined,
    });
  });

  it("refuses a cross-origin request with 403 and opens no stream", async () => {
    const revision = await createTestRevision(db.prisma, teamId);
    const host = await createTestHost(db.prisma, teamId);
    const { deployment } = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    userId = viewerId;
    for (const headers of HOSTILE_ORIGIN_HEADERS) {
      const response = await call(deployment.id, `teamId=${teamId}`, headers);
      expect(response.status).toBe(403);
      expect(response.headers.get("content-type")).not.toContain("text/event-stream");
      expect((await response.json()).error.message).toMatch(/^Cross-origin request refused/);
    }
  });

  it("answers 503 past the open-stream limit and frees the slot when a stream ends", async () => {
    const revision = await createTestRevision(db.prisma, teamId);
    const host = await createTestHost(db.prisma, teamId);
    const { deployment } = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    const limited = createDeploymentEventsHandler({
      prisma: db.prisma,
      getUserId: async () => viewerId,
      pollMs: 50,
      maxStreams: 1,
    });
    const open = (id: string) =>
      limited(new Request(`http://127.0.0.1/api/deployments/${id}/events?teamId=${teamId}`), {
        params: Promise.resolve({ id }),
      });
    const first = await open(deployment.id);
    expect(first.status).toBe(200);
    const second = await open(deployment.id);
    expect(second.status).toBe(503);
    expect(second.headers.get("retry-after")).toBe("5");
    await first.body!.cancel();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const third = await open(deployment.id);
    expect(third.status).toBe(200);
    await third.body!.cancel();
  });
});
