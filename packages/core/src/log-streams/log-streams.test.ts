// The live-log use cases on real PostgreSQL: options are parsed strictly, the per-host cap and the
// role hold, orders are handed over once, and the expiry closes streams whose viewer or agent went
// quiet.

import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { MAX_LOG_STREAMS_PER_HOST } from "@capstan/protocol";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestTeam, postgresComponent } from "../../test/fixtures";
import { createTestHost, createTestRevision, type TestHost } from "../deployments/test-fixtures";
import { appendLogLines } from "./append-log-lines";
import { claimLogOrders } from "./claim-log-orders";
import { expireLogStreams } from "./expire-log-streams";
import { parseLogOptions } from "./log-stream-options";
import { openLogStream } from "./open-log-stream";

const ok = requireComponents("log streams", await postgresComponent());
const NOW = new Date("2026-12-03T06:00:00.000Z");

describe("parseLogOptions", () => {
  it("turns a relative since into a UTC date and priority names into numbers", () => {
    expect(parseLogOptions({ since: "10m", priority: "warning", tail: "5", follow: "false" }, NOW)).toEqual({
      options: { follow: false, tail: 5, streams: "both", since: "2026-12-03T05:50:00.000Z", priority: 4 },
      grep: undefined,
    });
    expect(parseLogOptions({}, NOW).options).toEqual({ follow: true, tail: 100, streams: "both" });
  });

  it("refuses what is not on its allowlist, saying what is expected", () => {
    for (const [query, message] of [
      [{ since: "yesterday" }, /since must be a duration/],
      [{ tail: "5001" }, /tail must be/],
      [{ priority: "9" }, /priority must be/],
      [{ grep: "a;b" }, /grep must be/],
      [{ grep: "x".repeat(201) }, /grep must be/],
      [{ follow: "yes" }, /follow must be true or false/],
      [{ stream: "all" }, /stream must be/],
    ] as const)
      expect(() => parseLogOptions(query as Record<string, string>, NOW)).toThrow(message);
  });
});

describe.skipIf(!ok)("log stream use cases", () => {
  let db: TestDatabase;
  let teamId: string;
  let host: TestHost;
  let workflow: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma)).id;
    host = await createTestHost(db.prisma, teamId);
    const revision = await createTestRevision(db.prisma, teamId);
    workflow = (await db.prisma.workflow.findUniqueOrThrow({ where: { id: revision.workflowId } })).name;
    await db.prisma.serviceHealth.create({
      data: { hostId: host.id, workflow, service: "app", kind: "compose", status: "HEALTHY" },
    });
  });
  afterAll(async () => {
    await db?.drop();
  });

  const open = (role: "VIEWER" | "DEPLOYER" = "DEPLOYER") =>
    openLogStream(db.prisma, {
      userId: null,
      teamId,
      role,
      hostId: host.id,
      workflow,
      service: "app",
      viewer: parseLogOptions({}),
    });

  it("refuses a VIEWER and a ninth stream on one host, and hands each order over once", async () => {
    expect((await appError(open("VIEWER"))).code).toBe("FORBIDDEN");
    const ids = [];
    for (let i = 0; i < MAX_LOG_STREAMS_PER_HOST; i++) ids.push((await open()).id);
    expect((await appError(open())).code).toBe("RATE_LIMITED");
    const first = await claimLogOrders(db.prisma, { hostId: host.id, running: [] });
    expect(first.open.map((o) => o.id).sort()).toEqual([...ids].sort());
    expect((await claimLogOrders(db.prisma, { hostId: host.id, running: ids })).open).toEqual([]);
    // The agent learns which of its running streams were closed.
    await appendLogLines(db.prisma, { hostId: host.id, streamId: ids[0]!, seq: 0, lines: [], ended: "done" });
    expect((await claimLogOrders(db.prisma, { hostId: host.id, running: ids })).stop).toEqual([ids[0]]);
    // Another host cannot post into this host's stream.
    const other = await createTestHost(db.prisma, teamId);
    expect(
      await appendLogLines(db.prisma, { hostId: other.id, streamId: ids[1]!, seq: 0, lines: [] }),
    ).toEqual({
      open: false,
    });
  });

  it("closes streams whose viewer went quiet and says so to the agent", async () => {
    await db.prisma.logStream.updateMany({ data: { status: "CLOSED" } });
    const { id } = await open();
    await claimLogOrders(db.prisma, { hostId: host.id, running: [] });
    expect(await appendLogLines(db.prisma, { hostId: host.id, streamId: id, seq: 0, lines: [] })).toEqual({
      open: true,
    });
    expect(await expireLogStreams(db.prisma, new Date(Date.now() + 60_000))).toBe(1);
    expect(await appendLogLines(db.prisma, { hostId: host.id, streamId: id, seq: 1, lines: [] })).toEqual({
      open: false,
    });
  });
});
