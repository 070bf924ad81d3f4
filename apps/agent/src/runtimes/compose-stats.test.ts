// A saturated Engine that answers a stats request later than a heartbeat will wait is a fault we
// cannot cause on demand, so the Engine here is a stand-in whose answer the test releases.
import type Dockerode from "dockerode";
import { describe, expect, it } from "vitest";
import type { DockerHost } from "../docker";
import { ComposeStats } from "./compose-stats";

function slowEngine() {
  const answers: Array<(sample: unknown) => void> = [];
  let requests = 0;
  const container = {
    id: "c1",
    inspect: async () => ({ RestartCount: 0, State: { Running: true, StartedAt: "2026-12-03T10:00:00Z" } }),
    stats: () => {
      requests++;
      return new Promise((resolve) => answers.push(resolve));
    },
  };
  const engine = {
    listContainers: async () => [
      {
        Id: "c1",
        State: "running",
        Image: "redis:7",
        Labels: { "com.docker.compose.service": "web" },
        Ports: [],
      },
    ],
    getContainer: () => container,
  } as unknown as Dockerode;
  const host = { engine: async () => engine } as unknown as DockerHost;
  const sample = (cpu: number, memory: number) => ({
    cpu_stats: { cpu_usage: { total_usage: cpu }, system_cpu_usage: cpu * 10, online_cpus: 1 },
    memory_stats: { usage: memory, stats: { inactive_file: 0 } },
  });
  return { host, answers, sample, requests: () => requests };
}

const stopWaiting = () => AbortSignal.abort();

describe("ComposeStats on an Engine slower than a heartbeat", () => {
  it("keeps one request running past the beat that gave up, and reports its sample on the next beats", async () => {
    const engine = slowEngine();
    const stats = new ComposeStats(engine.host);
    const read = () => stats.read("p", ["x"], "web", stopWaiting());

    // The Engine has not answered: the beat goes out with what it knows, no memory.
    expect(await read()).not.toHaveProperty("memoryBytes");
    // The next beat does not pile a second request on the Engine.
    expect(await read()).not.toHaveProperty("memoryBytes");
    expect(engine.requests()).toBe(1);

    engine.answers[0]!(engine.sample(1_000_000, 4096));
    await new Promise((r) => setImmediate(r));
    const first = await read();
    expect(first).toMatchObject({ memoryBytes: 4096, image: "redis:7" });
    expect(first).not.toHaveProperty("cpuPercent");
    expect(engine.requests()).toBe(2);

    // CPU % needs a second, different sample: the same one twice is no measurement.
    expect(await read()).not.toHaveProperty("cpuPercent");
    engine.answers[1]!(engine.sample(2_000_000, 8192));
    await new Promise((r) => setImmediate(r));
    expect(await read()).toMatchObject({ memoryBytes: 8192, cpuPercent: 10 });
  });
});
