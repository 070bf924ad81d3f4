// Unit stats from a real systemd host (systemd as PID 1 in a container): a unit that crashed twice
// before staying up reports NRestarts 2, its memory, its start time, and a CPU share measured
// between two reads; the unmanaged list names the host's own running units and leaves Capstan's out.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  dockerEngine,
  dockerImage,
  dockerOk,
  requireComponents,
  type SystemdHost,
  startSystemdHost,
  waitFor,
} from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, uniqueName } from "../../test/helpers";
import { unmanagedUnits } from "../inventory";
import { type Systemctl, type UnitHost, UnitStats, unitServiceStats } from "./unit-stats";

const ok = requireComponents("unit stats", dockerEngine(), dockerImage("capstan-systemd-host:bookworm"));

// Fails twice, then burns CPU: the third start stays up.
const FLAKY = `#!/bin/sh
n=$(cat /run/h4-count 2>/dev/null || echo 0)
echo $((n + 1)) > /run/h4-count
[ "$n" -ge 2 ] || exit 1
exec sh -c 'while :; do :; done'
`;

const UNIT = `[Unit]
StartLimitIntervalSec=0
[Service]
ExecStart=/usr/local/bin/h4-flaky.sh
Restart=always
RestartSec=300ms
`;

describe.skipIf(!ok)("unit stats (real systemd host)", { timeout: 180_000 }, () => {
  let host: SystemdHost;
  const unit = `${uniqueName("h4-flaky")}.service`;
  const managed = `capstan-${uniqueName("inv")}-api.service`;
  const systemctl: Systemctl = async (args) => {
    const result = await host.exec(["systemctl", ...args]);
    return { code: result.code, stdout: result.stdout };
  };
  const unitHost: UnitHost = {
    systemctl,
    readFile: async (path) => {
      const result = await host.exec(["cat", path]);
      if (result.code !== 0) throw new Error(result.stderr);
      return result.stdout;
    },
  };

  beforeAll(async () => {
    host = await startSystemdHost("h4-unit-stats");
    const dir = tempDir("unit-stats");
    writeFileSync(join(dir, "flaky.sh"), FLAKY, { mode: 0o755 });
    writeFileSync(join(dir, "flaky.service"), UNIT);
    writeFileSync(join(dir, "managed.service"), "[Service]\nExecStart=/bin/sleep 600\n");
    await dockerOk(["cp", join(dir, "flaky.sh"), `${host.name}:/usr/local/bin/h4-flaky.sh`]);
    await dockerOk(["cp", join(dir, "flaky.service"), `${host.name}:/etc/systemd/system/${unit}`]);
    await dockerOk(["cp", join(dir, "managed.service"), `${host.name}:/etc/systemd/system/${managed}`]);
    await host.exec(["systemctl", "daemon-reload"]);
    await host.exec(["systemctl", "start", unit, managed]);
  });

  afterAll(async () => {
    await host?.remove();
  });

  it("reports NRestarts, memory, start time and CPU % from two reads", async () => {
    const stats = new UnitStats(unitHost);
    await waitFor(
      `${unit} to stay up after two crashes`,
      async () =>
        (await stats.read(unit)).restarts === 2 &&
        (await host.exec(["systemctl", "is-active", unit])).stdout.trim() === "active",
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    let second = await stats.read(unit);
    await waitFor(
      "a CPU share between two reads",
      async () => {
        second = await stats.read(unit);
        return (second.cpuPercent ?? 0) > 0;
      },
      { timeoutMs: 30_000, intervalMs: 1000 },
    );
    expect(second.restarts).toBe(2);
    expect(second.memoryBytes).toBeGreaterThan(0);
    expect(Math.abs(Date.now() - Date.parse(second.startedAt!))).toBeLessThan(5 * 60_000);

    // The runtimes' view adds the ports the health checks declare; a stopped unit has no CPU share.
    const full = await unitServiceStats(stats, unit, Promise.resolve("r7-abc"), [
      { tcp: { host: "127.0.0.1", port: 9001 } },
      { http: { url: "http://127.0.0.1:9000/health", expectStatus: 200 } },
    ]);
    expect(full).toMatchObject({ release: "r7-abc", ports: [{ published: 9000 }, { published: 9001 }] });
    await host.exec(["systemctl", "stop", unit]);
    const stopped = await stats.read(unit);
    expect([stopped.cpuPercent, stopped.startedAt]).toEqual([undefined, undefined]);
  });

  it("lists the host's running units as unmanaged, without Capstan's", async () => {
    const { items } = await unmanagedUnits(systemctl);
    const names = items.map((u) => u.name);
    expect(names).toContain("systemd-journald.service");
    expect(names.some((n) => n.startsWith("capstan-"))).toBe(false);
    expect((await host.exec(["systemctl", "is-active", managed])).stdout.trim()).toBe("active");
  });
});
