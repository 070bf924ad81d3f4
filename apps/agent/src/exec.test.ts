// Streamed commands (builds): output reaches the deploy log line by line while the command runs,
// and the job's abort signal or the step's deadline stop it.
import { describe, expect, it } from "vitest";
import { runStreaming, type StreamOptions } from "./exec";

/** Runs `sh -c body` as a build would, collecting the deploy log lines. */
function build(body: string, options: Partial<StreamOptions> = {}) {
  const lines: string[] = [];
  const run = runStreaming("sh", ["-c", body], {
    signal: new AbortController().signal,
    deadline: Date.now() + 60_000,
    prefix: "compose build",
    label: "docker-compose build",
    streamStdout: true,
    ...options,
    log: (level, message) => {
      lines.push(message);
      options.log?.(level, message);
    },
  });
  return { lines, run };
}

describe("runStreaming", () => {
  it("streams stdout and stderr lines with a prefix and fails with the last lines on a non-zero exit", async () => {
    const { lines, run } = build("echo one; echo two >&2; printf 'three\\rfour'; exit 3");
    await expect(run).rejects.toThrow(/^docker-compose build exited with 3: .*four/s);
    expect(lines).toEqual(
      expect.arrayContaining(["compose build: one", "compose build: two", "compose build: three"]),
    );
    expect(lines).toContain("compose build: four");
  });

  it("is cancelled by the job's abort signal while it runs, with the line it printed logged", async () => {
    const abort = new AbortController();
    const { lines, run } = build("echo started; exec sleep 60", {
      signal: abort.signal,
      log: (_level, message) => message.endsWith("started") && abort.abort(),
    });
    await expect(run).rejects.toThrow("docker-compose build was cancelled");
    expect(lines).toEqual(["compose build: started"]);
  });

  it("stops at the step's deadline", async () => {
    await expect(build("exec sleep 60", { deadline: Date.now() + 1000 }).run).rejects.toThrow(
      "docker-compose build stopped: the step's deadline passed",
    );
    await expect(build("true", { deadline: Date.now() - 1 }).run).rejects.toThrow(
      "docker-compose build: the step's deadline has passed",
    );
  });
});
