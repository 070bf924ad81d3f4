// Streamed commands (builds): output reaches the deploy log line by line while the command runs,
// and the job's abort signal or the step's deadline stop it.
import { describe, expect, it } from "vitest";
import { runStreaming } from "./exec";

const script = (body: string) => ["-c", body];

function collect() {
  const lines: string[] = [];
  return { lines, log: (_level: string, message: string) => lines.push(message) };
}

describe("runStreaming", () => {
  it("streams stdout and stderr lines with a prefix and fails with the last lines on a non-zero exit", async () => {
    const { lines, log } = collect();
    const run = runStreaming("sh", script("echo one; echo two >&2; printf 'three\\rfour'; exit 3"), {
      signal: new AbortController().signal,
      deadline: Date.now() + 60_000,
      log,
      prefix: "compose build",
      label: "docker-compose build",
      streamStdout: true,
    });
    await expect(run).rejects.toThrow(/^docker-compose build exited with 3: .*four/s);
    expect(lines).toEqual(
      expect.arrayContaining(["compose build: one", "compose build: two", "compose build: three"]),
    );
    expect(lines).toContain("compose build: four");
  });

  it("is cancelled by the job's abort signal while it runs, with the line it printed logged", async () => {
    const { lines, log } = collect();
    const abort = new AbortController();
    const run = runStreaming("sh", script("echo started; exec sleep 60"), {
      signal: abort.signal,
      deadline: Date.now() + 120_000,
      log: (level, message) => {
        log(level, message);
        if (message.endsWith("started")) abort.abort();
      },
      prefix: "compose build",
      label: "docker-compose build",
      streamStdout: true,
    });
    await expect(run).rejects.toThrow("docker-compose build was cancelled");
    expect(lines).toEqual(["compose build: started"]);
  });

  it("stops at the step's deadline", async () => {
    const { log } = collect();
    const run = runStreaming("sh", script("exec sleep 60"), {
      signal: new AbortController().signal,
      deadline: Date.now() + 1000,
      log,
      prefix: "compose build",
      label: "docker-compose build",
    });
    await expect(run).rejects.toThrow("docker-compose build stopped: the step's deadline passed");
    await expect(
      runStreaming("sh", script("true"), {
        signal: new AbortController().signal,
        deadline: Date.now() - 1,
        log,
        prefix: "x",
        label: "docker-compose build",
      }),
    ).rejects.toThrow("docker-compose build: the step's deadline has passed");
  });
});
