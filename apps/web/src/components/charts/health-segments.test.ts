import { describe, expect, it } from "vitest";
import { computeHealthSegments, summarizeSegments } from "./health-segments";

const from = new Date("2026-01-01T00:00:00Z");
const to = new Date("2026-01-01T10:00:00Z");
const h = (hours: number) => new Date(from.getTime() + hours * 3600_000);

describe("computeHealthSegments", () => {
  it("clips the status in force before the window, merges repeats and runs the last one to the end", () => {
    const segments = computeHealthSegments(
      [
        { status: "HEALTHY", at: h(-5) },
        { status: "UNHEALTHY", at: h(2) },
        { status: "UNHEALTHY", at: h(3) },
        { status: "HEALTHY", at: h(4) },
      ],
      from,
      to,
    );
    expect(segments.map((s) => [s.status, s.x, s.width])).toEqual([
      ["HEALTHY", 0, 0.2],
      ["UNHEALTHY", 0.2, 0.2],
      ["HEALTHY", 0.4, 0.6],
    ]);
    expect(summarizeSegments(segments)).toEqual({ HEALTHY: 0.8, UNHEALTHY: 0.2 });
  });

  it("draws nothing before the first change and nothing for an empty window", () => {
    const segments = computeHealthSegments([{ status: "STARTING", at: h(5) }], from, to);
    expect(segments).toEqual([{ status: "STARTING", start: h(5), end: to, x: 0.5, width: 0.5 }]);
    expect(computeHealthSegments([{ status: "HEALTHY", at: h(1) }], to, from)).toEqual([]);
    expect(computeHealthSegments([], from, to)).toEqual([]);
  });
});
