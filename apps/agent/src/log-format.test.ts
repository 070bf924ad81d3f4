import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./log";
import { formatLogLine, pipeReadableLog } from "./log-format";

/** Lines the agent's real logger writes for `write(log)`. */
function agentLines(write: (log: ReturnType<typeof createLogger>) => void): string[] {
  const lines: string[] = [];
  const destination = { write: (chunk: string) => void lines.push(...chunk.split("\n").filter(Boolean)) };
  write(createLogger("debug", destination));
  return lines;
}

describe("formatLogLine", () => {
  it("turns an agent log line into time, level, message and fields", () => {
    const [line] = agentLines((log) => log.info({ jobId: "job_1", attempt: 2 }, "job claimed"));
    expect(line?.startsWith("{")).toBe(true);
    expect(formatLogLine(line ?? "")).toMatch(/^\d\d:\d\d:\d\d INFO {2}job claimed jobId=job_1 attempt=2$/);
  });

  it("names every level and quotes values with spaces", () => {
    const lines = agentLines((log) => {
      log.warn({ reason: "disk almost full" }, "slow");
      log.error({ err: new Error("connect ECONNREFUSED 127.0.0.1:3000") }, "poll failed");
      log.debug("tick");
    });
    const text = lines.map((l) => formatLogLine(l));
    expect(text[0]).toMatch(/ WARN {2}slow reason="disk almost full"$/);
    expect(text[1]).toMatch(/ ERROR poll failed err="connect ECONNREFUSED 127.0.0.1:3000"$/);
    expect(text[1]).not.toContain("at "); // the stack stays in the JSON log
    expect(text[2]).toMatch(/ DEBUG tick$/);
  });

  it("keeps the agent's redaction", () => {
    const [line] = agentLines((log) => log.info({ token: "enroll-secret-123" }, "enrolling"));
    const text = formatLogLine(line ?? "");
    expect(text).toContain("token=[redacted]");
    expect(text).not.toContain("enroll-secret-123");
  });

  it("leaves out the fields it is told to", () => {
    const line = JSON.stringify({
      level: 40,
      time: 0,
      service: "capstan-web",
      msg: "not set up",
      path: "/setup",
    });
    expect(formatLogLine(line, ["service"])).toMatch(/ WARN {2}not set up path=\/setup$/);
    expect(formatLogLine(line)).toContain("service=capstan-web");
  });

  it("shows lines that are not JSON as they are", () => {
    expect(formatLogLine("capstan-agent 0.1.0")).toBe("capstan-agent 0.1.0");
    expect(formatLogLine("[1,2]")).toBe("[1,2]");
  });

  it("never passes terminal control sequences through (hostile container output)", () => {
    const hostile = "\u001b]0;pwned\u0007\u001b[2J\rfake line\u009b31m";
    const lines = agentLines((log) => log.warn({ output: hostile, "k\u001b[1m": 1 }, `msg ${hostile}`));
    const text = [...lines, hostile].map((l) => formatLogLine(l));
    for (const line of text) {
      const codes = [...line].map((c) => c.charCodeAt(0));
      expect(codes.filter((c) => c < 0x20 || (c >= 0x7f && c <= 0x9f))).toEqual([]);
      expect(line).toContain("pwned"); // shown, escaped
    }
  });
});

describe("pipeReadableLog", () => {
  it("prefixes every formatted line and skips blank ones", async () => {
    const input = new PassThrough();
    const out = new PassThrough();
    let written = "";
    out.on("data", (chunk) => {
      written += chunk;
    });
    const done = pipeReadableLog(input, out, "[agent]");
    const [line] = agentLines((log) => log.info("started"));
    input.end(`${line}\n\nplain text\n`);
    await done;
    const lines = written.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[agent\] \d\d:\d\d:\d\d INFO {2}started$/);
    expect(lines[1]).toBe("[agent] plain text");
  });
});
