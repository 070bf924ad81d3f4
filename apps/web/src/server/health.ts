import type { PrismaClient } from "@capstan/db";

interface HealthBody {
  status: "ok" | "error";
  database: "up" | "down";
  /** Round trip of `SELECT 1` in milliseconds, when it answered. */
  databaseLatencyMs?: number;
  uptimeSeconds: number;
  time: string;
}

const DEFAULT_TIMEOUT_MS = 2_000;

/** Liveness plus a database round trip with a short timeout, so a stuck pool answers 503 fast. */
async function checkHealth(
  prisma: PrismaClient,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<{ status: number; body: HealthBody }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("database health check timed out")), timeoutMs);
  });
  const base = { uptimeSeconds: Math.round(process.uptime()), time: new Date().toISOString() };
  try {
    await Promise.race([prisma.$queryRaw`SELECT 1`, timeout]);
    const databaseLatencyMs = Math.round((performance.now() - started) * 10) / 10;
    return { status: 200, body: { status: "ok", database: "up", databaseLatencyMs, ...base } };
  } catch {
    return { status: 503, body: { status: "error", database: "down", ...base } };
  } finally {
    clearTimeout(timer);
  }
}

export async function healthResponse(prisma: PrismaClient, timeoutMs?: number): Promise<Response> {
  const { status, body } = await checkHealth(prisma, timeoutMs);
  return Response.json(body, { status, headers: { "cache-control": "no-store" } });
}
