import { describe, expect, it } from "vitest";
import { admit, TokenBucket } from "./throttle";

describe("log throttle", () => {
  it("admits a second's burst, then the rate, and a shared bucket bounds every stream together", () => {
    let now = 0;
    const clock = () => now;
    const host = new TokenBucket({ linesPerSecond: 15, bytesPerSecond: 1_000_000 }, clock);
    const a = new TokenBucket({ linesPerSecond: 10, bytesPerSecond: 1_000_000 }, clock);
    const b = new TokenBucket({ linesPerSecond: 10, bytesPerSecond: 1_000_000 }, clock);
    const count = (bucket: TokenBucket, n: number) =>
      Array.from({ length: n }).filter(() => admit([bucket, host], 10)).length;
    expect(count(a, 100)).toBe(10);
    // The host has 5 left: b gets those, not its own 10.
    expect(count(b, 100)).toBe(5);
    now += 500;
    expect(count(a, 100)).toBe(5);
    expect(count(b, 100)).toBe(2);
  });

  it("bounds bytes as well as lines", () => {
    const bucket = new TokenBucket({ linesPerSecond: 1000, bytesPerSecond: 1000 }, () => 0);
    expect(admit([bucket], 600)).toBe(true);
    expect(admit([bucket], 600)).toBe(false);
    expect(admit([bucket], 400)).toBe(true);
  });
});
