import { describe, expect, it } from "vitest";
import {
  checkTimeZone,
  findActiveFreeze,
  formatFreezeWindows,
  formatLocalTime,
  parseFreezeWindows,
  readFreezeWindows,
} from "./freeze-windows";

const weekend = parseFreezeWindows("fri 16:00 - mon 08:00");
const at = (iso: string) => new Date(iso);
const endOf = (windows: string, zone: string, now: string) =>
  findActiveFreeze(parseFreezeWindows(windows), zone, at(now))?.endsAt?.toISOString() ?? null;

describe("parseFreezeWindows", () => {
  it("normalises days and times, one window a line or separated by ;", () => {
    expect(parseFreezeWindows("Friday 16:00 - Mon 8:00;\n sat 00:00-sun 23:59\n\n")).toEqual([
      { from: "fri 16:00", to: "mon 08:00" },
      { from: "sat 00:00", to: "sun 23:59" },
    ]);
    expect(parseFreezeWindows("  ")).toEqual([]);
    expect(formatFreezeWindows(weekend)).toBe("fri 16:00 - mon 08:00");
    expect(readFreezeWindows([{ from: "fri 16:00", to: "mon 08:00" }])).toEqual(weekend);
  });

  it("refuses what is not a window, saying what is wrong with an example", () => {
    expect(() => parseFreezeWindows("fri 16:00")).toThrow(/write FROM - TO .*e\.g\. fri 16:00 - mon 08:00/);
    expect(() => parseFreezeWindows("fri 24:00 - mon 08:00")).toThrow(/times 00:00 to 23:59/);
    expect(() => parseFreezeWindows("fry 16:00 - mon 08:00")).toThrow(/days are mon\.\.sun/);
    expect(() => parseFreezeWindows("fri 16:00 - fri 16:00")).toThrow(/starts when it ends/);
    expect(() => parseFreezeWindows("fri 16:00 - mon 08:00 - tue 09:00")).toThrow(/not a freeze window/);
    expect(() => parseFreezeWindows(Array(21).fill("fri 16:00 - mon 08:00").join(";"))).toThrow(
      /at most 20 freeze windows; 21/,
    );
    expect(() => readFreezeWindows([{ from: "fri 16:00" }])).toThrow();
  });
});

describe("checkTimeZone", () => {
  it("accepts IANA names in their canonical spelling and refuses anything else", () => {
    expect(checkTimeZone("Europe/Berlin")).toBe("Europe/Berlin");
    expect(checkTimeZone("UTC")).toBe("UTC");
    expect(checkTimeZone(" America/New_York ")).toBe("America/New_York");
    for (const bad of ["Mars/Olympus_Mons", "", "UTC; rm -rf /", "../../etc/localtime", "Europe/Berlin/x"])
      expect(() => checkTimeZone(bad)).toThrow(/is not a time zone: use an IANA name such as Europe\/Berlin/);
  });
});

describe("findActiveFreeze", () => {
  it("wraps round the week: Friday 16:00 to Monday 08:00, the end excluded", () => {
    expect(findActiveFreeze(weekend, "UTC", at("2026-12-04T15:59:59Z"))).toBeNull();
    expect(endOf("fri 16:00 - mon 08:00", "UTC", "2026-12-04T16:00:00Z")).toBe("2026-12-07T08:00:00.000Z");
    expect(endOf("fri 16:00 - mon 08:00", "UTC", "2026-12-05T12:34:56Z")).toBe("2026-12-07T08:00:00.000Z");
    expect(endOf("fri 16:00 - mon 08:00", "UTC", "2026-12-06T23:59:00Z")).toBe("2026-12-07T08:00:00.000Z");
    expect(endOf("fri 16:00 - mon 08:00", "UTC", "2026-12-07T07:59:00Z")).toBe("2026-12-07T08:00:00.000Z");
    expect(findActiveFreeze(weekend, "UTC", at("2026-12-07T08:00:00Z"))).toBeNull();
    expect(findActiveFreeze(weekend, "UTC", at("2026-12-09T12:00:00Z"))).toBeNull();
    expect(findActiveFreeze(weekend, "UTC", at("2026-12-05T12:00:00Z"))?.window).toEqual(weekend[0]);
  });

  it("reads the windows on the environment's wall clock", () => {
    // 15:30Z is 16:30 in Berlin (CET) and 10:30 in New York (EST).
    expect(endOf("fri 16:00 - mon 08:00", "Europe/Berlin", "2026-12-04T15:30:00Z")).toBe(
      "2026-12-07T07:00:00.000Z",
    );
    expect(findActiveFreeze(weekend, "Europe/Berlin", at("2026-12-04T14:30:00Z"))).toBeNull();
    expect(findActiveFreeze(weekend, "America/New_York", at("2026-12-04T15:30:00Z"))).toBeNull();
    expect(endOf("fri 16:00 - mon 08:00", "America/New_York", "2026-12-04T21:00:00Z")).toBe(
      "2026-12-07T13:00:00.000Z",
    );
    // In Auckland it is already Saturday 04:30 (NZDT, +13).
    expect(endOf("fri 16:00 - mon 08:00", "Pacific/Auckland", "2026-12-04T15:30:00Z")).toBe(
      "2026-12-06T19:00:00.000Z",
    );
    expect(formatLocalTime(at("2026-12-07T07:00:00Z"), "Europe/Berlin")).toBe(
      "Mon 7 Dec 08:00 (Europe/Berlin)",
    );
  });

  it("keeps local hours across daylight saving changes", () => {
    // Berlin springs forward on Sunday 29 March 2026: Monday 08:00 is then 06:00Z, not 07:00Z.
    expect(endOf("fri 16:00 - mon 08:00", "Europe/Berlin", "2026-03-28T12:00:00Z")).toBe(
      "2026-03-30T06:00:00.000Z",
    );
    // ... and falls back on Sunday 25 October: Sunday 04:00 CET is 03:00Z, a 7-hour night window.
    expect(endOf("sat 22:00 - sun 04:00", "Europe/Berlin", "2026-10-24T20:00:00Z")).toBe(
      "2026-10-25T03:00:00.000Z",
    );
    // New York springs forward on 8 March 2026 (EST -5 to EDT -4).
    expect(endOf("fri 16:00 - mon 08:00", "America/New_York", "2026-03-07T12:00:00Z")).toBe(
      "2026-03-09T12:00:00.000Z",
    );
    // A window ending at a wall time the change skips (02:30 on 29 March) ends at the change.
    expect(endOf("sun 01:00 - sun 02:30", "Europe/Berlin", "2026-03-29T00:30:00Z")).toBe(
      "2026-03-29T01:00:00.000Z",
    );
  });

  it("finds a gap of a few minutes between two windows", () => {
    expect(endOf("fri 16:00 - fri 23:57; sat 00:00 - mon 08:00", "UTC", "2026-12-04T17:00:00Z")).toBe(
      "2026-12-04T23:57:00.000Z",
    );
  });

  it("runs windows back to back into one freeze, and says when the week is closed", () => {
    expect(endOf("fri 16:00 - sat 00:00; sat 00:00 - mon 08:00", "UTC", "2026-12-04T17:00:00Z")).toBe(
      "2026-12-07T08:00:00.000Z",
    );
    expect(
      findActiveFreeze(
        parseFreezeWindows("mon 00:00 - thu 00:00; thu 00:00 - mon 00:00"),
        "UTC",
        at("2026-12-04T17:00:00Z"),
      ),
    ).toEqual({
      window: { from: "thu 00:00", to: "mon 00:00" },
      endsAt: null,
    });
  });
});
