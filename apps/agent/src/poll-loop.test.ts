// The poll loop's retry timing on a busy control plane: a 503 with Retry-After is not retried
// sooner than asked, and an absurd Retry-After is capped at the backoff's 60 s ceiling. Fake
// timers: the clock is moved by the test, so nothing here depends on how busy the machine is.
import { AgentServerError } from "@capstan/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type PollLoopDeps, pollLoop } from "./poll-loop";

function busy(retryAfterMs: number) {
  return new AgentServerError("server", "HTTP 503: The control plane is busy", { status: 503, retryAfterMs });
}

function loopWith(errors: Error[]) {
  const stop = new AbortController();
  const poll = vi.fn(async () => {
    const error = errors.shift();
    if (error) throw error;
    stop.abort();
    return { job: null, serverTime: new Date().toISOString() };
  });
  const deps = {
    client: { poll },
    runner: {},
    trust: { accept: () => true },
    log: { warn: () => {}, info: () => {}, error: () => {}, debug: () => {} },
    onUnauthorized: () => {},
    onContact: () => {},
  } as unknown as PollLoopDeps;
  const done = pollLoop(deps, { stop: stop.signal, cancel: new AbortController().signal });
  return { poll, done };
}

describe("poll loop on a busy control plane", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("waits at least the Retry-After before polling again", async () => {
    const { poll, done } = loopWith([busy(8_000)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(poll).toHaveBeenCalledTimes(1);
    // The first backoff alone would be 1 s.
    await vi.advanceTimersByTimeAsync(7_900);
    expect(poll).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(poll).toHaveBeenCalledTimes(2);
    await done;
  });

  it("caps a Retry-After beyond the backoff ceiling at 60 s", async () => {
    const { poll, done } = loopWith([busy(86_400_000)]);
    await vi.advanceTimersByTimeAsync(59_900);
    expect(poll).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(poll).toHaveBeenCalledTimes(2);
    await done;
  });
});
