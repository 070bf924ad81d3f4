import { describe, expect, it } from "vitest";
import { usageLines, usageMax } from "./usage-lines";

const from = new Date("2026-12-03T00:00:00Z");
const to = new Date("2026-12-03T01:00:00Z");
const at = (minutes: number) => new Date(from.getTime() + minutes * 60_000);

describe("usageLines", () => {
  it("scales points across the window and up to the maximum", () => {
    expect(
      usageLines(
        [
          { at: at(0), value: 0 },
          { at: at(6), value: 50 },
        ],
        from,
        to,
        100,
        40,
      ),
    ).toEqual(["0.0,40.0 100.0,20.0"]);
  });

  it("breaks the line at a missing value and at a long gap, and draws a lone point", () => {
    const lines = usageLines(
      [
        { at: at(0), value: 10 },
        { at: at(2), value: 10 },
        { at: at(4), value: null },
        { at: at(6), value: 10 },
        { at: at(8), value: 10 },
        { at: at(30), value: 10 },
      ],
      from,
      to,
      10,
      10,
    );
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("500.0,0.0 502,0.0");
  });

  it("takes the largest value, never less than the floor", () => {
    expect(usageMax([null, 3, 7], 1)).toBe(7);
    expect(usageMax([null], 5)).toBe(5);
  });
});
