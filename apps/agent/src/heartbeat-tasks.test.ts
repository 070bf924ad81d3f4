import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../test/helpers";
import { TaskReporter } from "./heartbeat-tasks";
import { parseSystemdTime } from "./runtimes/task-timers";

describe("TaskReporter", () => {
  it("sends the task list once, again only after it changed, and resends what was not accepted", async () => {
    const dir = tempDir("task-reporter");
    const reporter = new TaskReporter(dir);
    const first = await reporter.changed();
    expect(first.reports).toEqual([]);
    // Not accepted (the heartbeat failed): sent again.
    expect((await reporter.changed()).reports).toEqual([]);
    (await reporter.changed()).accepted();
    expect((await reporter.changed()).reports).toBeUndefined();
    // A timer file without Capstan's marker is not a task; one with it is (systemctl answers
    // nothing useful outside systemd, so only the file's own fields are reported).
    writeFileSync(join(dir, "capstan-shop-api.task-gc.timer"), "[Timer]\nOnCalendar=daily\n");
    expect((await reporter.changed()).reports).toBeUndefined();
    writeFileSync(
      join(dir, "capstan-shop-api.task-gc.timer"),
      "[Timer]\nOnCalendar=daily\nX-CapstanTask=shop/api/gc\nX-CapstanNotifyOnFailure=yes\n",
    );
    const changed = await reporter.changed();
    expect(changed.reports).toMatchObject([
      { workflow: "shop", service: "api", task: "gc", schedule: "daily", notifyOnFailure: true },
    ]);
  });
});

describe("parseSystemdTime", () => {
  it("reads unix and UTC calendar times and nothing else", () => {
    expect(parseSystemdTime("@1796276505")?.toISOString()).toBe("2026-12-03T05:41:45.000Z");
    expect(parseSystemdTime("Thu 2026-12-03 05:41:50 UTC")?.toISOString()).toBe("2026-12-03T05:41:50.000Z");
    for (const empty of [undefined, "", "n/a", "0", "Thu 2026-12-03 05:41:50 CET", "tomorrow"])
      expect(parseSystemdTime(empty)).toBeNull();
  });
});
