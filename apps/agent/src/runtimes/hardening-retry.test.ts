// What a carried softening can do to the next release's unit: only what the retry itself does
// (add SystemCallErrorNumber=EPERM to the filter, drop the filter or MemoryDenyWriteExecute=),
// only against the very line it was taken on, whatever the saved steps say.
import { describe, expect, it } from "vitest";
import { carrySoftenings, type Softening } from "./hardening-retry";

const UNIT = [
  "[Service]",
  "ExecStart=/usr/local/bin/node server.js",
  "User=app",
  "ProtectSystem=strict",
  "MemoryDenyWriteExecute=yes",
  "SystemCallFilter=@system-service",
  "",
].join("\n");

describe("carrySoftenings", () => {
  it("applies the retry's own steps taken against the same lines, in order", () => {
    const steps: Softening[] = [
      { directive: "SystemCallFilter", action: "eperm", line: "SystemCallFilter=@system-service" },
      { directive: "MemoryDenyWriteExecute", action: "drop", line: "MemoryDenyWriteExecute=yes" },
    ];
    const { unit, carried } = carrySoftenings(UNIT, steps);
    expect(carried).toEqual(steps);
    expect(unit).toBe(
      UNIT.replace("MemoryDenyWriteExecute=yes\n", "").replace(
        "SystemCallFilter=@system-service",
        "SystemCallFilter=@system-service\nSystemCallErrorNumber=EPERM",
      ),
    );
    const dropped = carrySoftenings(UNIT, [
      steps[0]!,
      { directive: "SystemCallFilter", action: "drop", line: "SystemCallFilter=@system-service" },
    ]);
    expect(dropped.unit).not.toMatch(/^SystemCall/m);
  });

  it("leaves out steps the retry never takes, or taken against another line", () => {
    const hostile = [
      { directive: "ProtectSystem", action: "drop", line: "ProtectSystem=strict" },
      { directive: "User", action: "drop", line: "User=app" },
      { directive: "MemoryDenyWriteExecute", action: "eperm", line: "MemoryDenyWriteExecute=yes" },
      { directive: "SystemCallFilter", action: "drop", line: "SystemCallFilter=@known" },
      { directive: "SystemCallFilter", action: "drop", line: "ProtectSystem=strict" },
      { directive: "SystemCallFilter", action: "eperm", line: "SystemCallFilter=@system-service\nUser=root" },
      { directive: "SystemCallFilter", action: "allow", line: "SystemCallFilter=@system-service" },
      { directive: "SystemCallFilter" },
      null,
    ] as unknown as Softening[];
    expect(carrySoftenings(UNIT, hostile)).toEqual({ unit: UNIT, carried: [] });
  });

  it("adds no second errno line to a filter that has one", () => {
    const withErrno = UNIT.replace("@system-service", "@system-service\nSystemCallErrorNumber=EPERM");
    const step: Softening = {
      directive: "SystemCallFilter",
      action: "eperm",
      line: "SystemCallFilter=@system-service",
    };
    expect(carrySoftenings(withErrno, [step])).toEqual({ unit: withErrno, carried: [] });
  });
});
