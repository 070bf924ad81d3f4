import { describe, expect, it } from "vitest";
import { backoffDelay, pause, sleep } from "./abort";

describe("waiting", () => {
  it("backs off exponentially with full jitter, capped", () => {
    expect(backoffDelay(0, 500, 30_000, () => 0)).toBe(500);
    expect(backoffDelay(3, 500, 30_000, () => 1)).toBe(4000);
    expect(backoffDelay(30, 500, 30_000, () => 1)).toBe(30_000);
    const samples = new Set(Array.from({ length: 20 }, () => backoffDelay(4)));
    expect(samples.size).toBeGreaterThan(1);
  });

  it("aborts sleeps at once", async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    await expect(sleep(60_000, controller.signal)).rejects.toThrow(/aborted/);
    expect(await pause(60_000, controller.signal)).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
