// journalctl following on a real systemd host (a container with systemd as PID 1): a unit
// printing a numbered line every 100 ms arrives in order without gaps, with journal priorities;
// the priority filter holds; hostile options are refused before anything runs. journalctl runs
// inside the host through `docker exec` with exactly the argv the agent uses.

import type { LogLine } from "@capstan/protocol";
import {
  dockerEngine,
  dockerImage,
  requireComponents,
  type SystemdHost,
  startSystemdHost,
} from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../test/helpers";
import { followJournal, journalArgs } from "./follow-journal";

const ok = requireComponents("journal follow", dockerEngine(), dockerImage("capstan-systemd-host:bookworm"));
const UNIT = "capstan-lt-app.service";
const base = { follow: true, tail: 0, streams: "both" } as const;

describe("journalctl arguments", () => {
  it("passes checked options as single arguments", () => {
    expect(journalArgs(UNIT, { ...base, since: "2026-12-03T05:00:00Z", priority: 3 })).toEqual([
      "--unit",
      UNIT,
      "--output",
      "json",
      "--no-pager",
      "--lines",
      "0",
      "--follow",
      "--since=@1796274000",
      "--priority=3",
    ]);
  });

  it("refuses hostile values before anything runs", async () => {
    const hostile = [
      () => journalArgs("x.service; reboot", base),
      () => journalArgs("--root=/", base),
      () => journalArgs(UNIT, { ...base, since: "$(touch /tmp/pwned)" }),
      () => journalArgs(UNIT, { ...base, since: "2026-12-03T05:00:00Z --output=export" }),
      () => journalArgs(UNIT, { ...base, priority: 8 }),
      () => journalArgs(UNIT, { ...base, priority: "3 --file=/etc/shadow" as unknown as number }),
      () => journalArgs(UNIT, { ...base, tail: -1 }),
    ];
    for (const call of hostile) expect(call).toThrow(/refused/);
    // The follower refuses too, without starting a process (the prefix would fail loudly).
    await expect(
      followJournal(UNIT, { ...base, since: "`id`" }, () => {}, new AbortController().signal, {
        prefix: ["/nonexistent/never-run"],
      }),
    ).rejects.toThrow(/refused since/);
  });
});

describe.skipIf(!ok)("journal follow (real systemd host)", () => {
  let host: SystemdHost;

  beforeAll(async () => {
    host = await startSystemdHost("capstan-logs");
    const started = await host.exec([
      "systemd-run",
      "--unit",
      UNIT,
      "/bin/sh",
      "-c",
      'i=0; while :; do i=$((i+1)); echo "line $i"; if [ $((i % 10)) = 0 ]; then echo "<3>failure $i"; fi; sleep 0.1; done',
    ]);
    expect(started.code, started.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await host?.remove();
  });

  it("follows a unit's journal in order, with priorities, and stops when aborted", async () => {
    const lines: LogLine[] = [];
    const stop = new AbortController();
    const ended = followJournal(UNIT, { ...base, tail: 5 }, (line) => lines.push(line), stop.signal, {
      prefix: ["docker", "exec", host.name],
    });
    const numbers = () =>
      lines
        .map((l) => /^line (\d+)$/.exec(l.text)?.[1])
        .filter((n): n is string => n !== undefined)
        .map(Number);
    await waitFor("40 numbered journal lines", async () => numbers().length >= 40, { timeoutMs: 60_000 });
    const seen = numbers();
    expect(seen).toEqual(seen.map((_, i) => seen[0]! + i));
    expect(lines.every((l) => l.stream === "journal")).toBe(true);
    expect(lines.find((l) => l.text.startsWith("line "))?.priority).toBe(6);
    expect(lines.find((l) => l.text.startsWith("failure "))?.priority).toBe(3);
    stop.abort();
    expect(await ended).toBe("stopped");
  });

  it("keeps only the requested priority and ends after the lines when not following", async () => {
    const lines: LogLine[] = [];
    const reason = await followJournal(
      UNIT,
      { ...base, follow: false, tail: 100, priority: 3 },
      (line) => lines.push(line),
      new AbortController().signal,
      { prefix: ["docker", "exec", host.name] },
    );
    expect(reason).toBe("end of the requested lines");
    expect(lines.length).toBeGreaterThan(0);
    expect(
      lines.every((l) => l.priority !== undefined && l.priority <= 3 && l.text.startsWith("failure ")),
    ).toBe(true);
  });
});
