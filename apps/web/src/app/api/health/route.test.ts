import { createServer, type Server, type Socket } from "node:net";
import { createPrismaClient, type PrismaClient } from "@capstan/db";
import { testServerUrl } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { healthResponse } from "@/server/health";
import { postgresComponent } from "../../../../../../packages/core/test/fixtures";

const ok = requireComponents("web/health", await postgresComponent());
const DATABASE_URL = testServerUrl();
const holder = globalThis as unknown as { capstanPrisma?: PrismaClient };

/** Imports the real route module against `url` (env and the Prisma singleton are read at import). */
async function loadRoute(url: string) {
  vi.resetModules();
  holder.capstanPrisma = undefined;
  vi.stubEnv("DATABASE_URL", url);
  return import("./route");
}

describe.skipIf(!ok)("GET /api/health", () => {
  afterEach(async () => {
    await holder.capstanPrisma?.$disconnect();
    holder.capstanPrisma = undefined;
    vi.unstubAllEnvs();
  });

  it("answers 200 with database up when SELECT 1 works", async () => {
    const { GET } = await loadRoute(DATABASE_URL);
    const response = await GET();
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = await response.json();
    expect(body).toMatchObject({ status: "ok", database: "up" });
    expect(body.databaseLatencyMs).toBeGreaterThanOrEqual(0);
  });

  it("answers 503 with database down when the database refuses connections", async () => {
    const { GET } = await loadRoute("postgresql://capstan:capstan@127.0.0.1:1/capstan");
    const response = await GET();
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: "error", database: "down" });
  });
});

describe("health with a database that never answers", () => {
  let server: Server | undefined;
  let prisma: PrismaClient | undefined;
  const sockets: Socket[] = [];
  afterAll(async () => {
    // Dropping the silent connections lets the pending connect fail, so the pool can close.
    for (const socket of sockets) socket.destroy();
    server?.close();
    await prisma?.$disconnect().catch(() => {});
  });

  it("gives up after the timeout and answers 503", async () => {
    // Accepts TCP connections and then stays silent, like a hung database.
    server = createServer((socket) => sockets.push(socket)).listen(0, "127.0.0.1");
    await new Promise((resolve) => server!.once("listening", resolve));
    const { port } = server.address() as { port: number };
    prisma = createPrismaClient({ connectionString: `postgresql://u:p@127.0.0.1:${port}/db`, poolMax: 1 });
    const started = Date.now();
    const response = await healthResponse(prisma, 300);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: "error", database: "down" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
