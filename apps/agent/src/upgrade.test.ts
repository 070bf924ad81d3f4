// The upgrade steps that need no systemd: what is refused and why, download and verification
// against a real HTTP server, the report each state yields, and the guard's restore. The swap,
// the restart and the guard firing on a real systemd host are in test/upgrade.test.ts.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { AgentUpgradeOrder } from "@capstan/protocol";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { silentLog, tempDir } from "../test/helpers";
import {
  agentFiles,
  loadUpgradeRecord,
  ownSystemdUnit,
  runUpgradeGuard,
  type UpgradeRecord,
  Upgrader,
} from "./upgrade";
import { AGENT_VERSION } from "./version";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const NEW_VERSION = "9.9.9-test";
/** A stand-in "new agent": a script answering `version` like the real one. */
const goodBuild = `#!/bin/sh\necho ${NEW_VERSION}\n`;
/** And the JS bundle, run with the host's Node. */
const servedBundle = `if (process.argv[2] === "version") console.log(${JSON.stringify(NEW_VERSION)});\n`;

describe("ownSystemdUnit", () => {
  it("finds the unit in cgroup v2 and v1 paths, and nothing outside systemd", () => {
    expect(ownSystemdUnit("0::/system.slice/capstan-agent.service\n")).toBe("capstan-agent.service");
    expect(ownSystemdUnit("12:pids:/\n1:name=systemd:/system.slice/capstan-agent.service\n")).toBe(
      "capstan-agent.service",
    );
    expect(ownSystemdUnit("0::/user.slice/user-0.slice/session-3.scope\n")).toBeNull();
    expect(ownSystemdUnit("0::/\n")).toBeNull();
  });
});

describe("Upgrader", () => {
  let server: Server;
  let url: string;
  let served = goodBuild;
  let dir: string;
  const order = (extra: Partial<AgentUpgradeOrder> = {}): AgentUpgradeOrder => ({
    id: crypto.randomUUID(),
    version: NEW_VERSION,
    executableSha256: sha256(served),
    deadlineSeconds: 30,
    ...extra,
  });
  /** An installed agent in `dir`: the running file is <dir>/bin/capstan-agent. */
  const upgrader = (overrides: Partial<ConstructorParameters<typeof Upgrader>[0]> = {}) => {
    const files = agentFiles(dir, "executable");
    mkdirSync(files.bin, { recursive: true });
    if (!existsSync(files.current)) writeFileSync(files.current, "#!/bin/sh\necho old\n", { mode: 0o755 });
    return new Upgrader({
      stateDir: dir,
      url,
      arch: "x64",
      running: { format: "executable", path: files.current, node: process.execPath },
      unit: "capstan-agent.service",
      log: silentLog,
      verify: () => true,
      ...overrides,
    });
  };
  const settle = async (u: Upgrader) => {
    for (let i = 0; i < 200 && !u.report() && !u.interruptSignal().aborted; i++)
      await new Promise((r) => setTimeout(r, 25));
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = req.url?.startsWith("/api/agent/v1/agent-binary?arch=x64&format=executable")
        ? served
        : req.url?.startsWith("/api/agent/v1/agent-binary?arch=x64&format=bundle")
          ? servedBundle
          : "";
      res.setHeader("x-capstan-sha256", sha256(body));
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    served = goodBuild;
  });
  const fresh = () => {
    dir = tempDir("upgrade");
  };

  it("refuses, with the reason, when it cannot restart itself or does not run the installed file", async () => {
    for (const [overrides, reason] of [
      [
        { unit: null },
        /does not run under systemd \(container mode, or started by hand\).*newer agent image, or the install script again/,
      ],
      [{ running: null }, /runs from source/],
      [
        { running: { format: "executable" as const, path: "/usr/local/bin/capstan-agent", node: "" } },
        /runs from \/usr\/local\/bin\/capstan-agent, not .*\/bin\/capstan-agent; run the install script once more/,
      ],
    ] as const) {
      fresh();
      const u = upgrader(overrides);
      const o = order();
      u.accept(o);
      await settle(u);
      expect(u.report()).toMatchObject({ id: o.id, state: "failed", detail: expect.stringMatching(reason) });
      expect(u.interruptSignal().aborted).toBe(false);
    }
  });

  it("refuses an order without a sha256 for its format", async () => {
    fresh();
    const u = upgrader();
    u.accept(order({ executableSha256: undefined, bundleSha256: "b".repeat(64) }));
    await settle(u);
    expect(u.report()?.detail).toMatch(/serves no agent executable for linux-x64/);
  });

  it("refuses a download whose sha256 differs from the order, keeping nothing of it", async () => {
    fresh();
    const u = upgrader();
    const o = order({ executableSha256: sha256("another build") });
    u.accept(o);
    await settle(u);
    expect(u.report()).toMatchObject({
      id: o.id,
      state: "failed",
      detail: expect.stringMatching(
        /sha256 is [0-9a-f]{64}, the order expects [0-9a-f]{64}.*nothing was changed/,
      ),
    });
    const files = agentFiles(dir, "executable");
    expect(existsSync(files.staged)).toBe(false);
    expect(readFileSync(files.current, "utf8")).toContain("echo old");
  });

  it("refuses a build that does not report the ordered version when started", async () => {
    fresh();
    served = "#!/bin/sh\nexit 3\n";
    const u = upgrader();
    u.accept(order());
    await settle(u);
    expect(u.report()?.detail).toMatch(/the new agent does not run here \(`version` exited with 3/);
    expect(existsSync(agentFiles(dir, "executable").staged)).toBe(false);
  });

  it("stages a verified build and interrupts the waiting poll; the same order is not taken twice", async () => {
    fresh();
    const u = upgrader();
    const o = order();
    u.accept(o);
    await settle(u);
    expect(u.interruptSignal().aborted).toBe(true);
    expect(u.report()).toBeUndefined(); // nothing to say until the swap's outcome
    expect(readFileSync(agentFiles(dir, "executable").staged, "utf8")).toBe(goodBuild);
    expect(loadUpgradeRecord(join(dir, "upgrade.json"))).toMatchObject({ id: o.id, state: "preparing" });
    u.accept(o);
    expect(loadUpgradeRecord(join(dir, "upgrade.json"))?.state).toBe("preparing");
  });

  it("stages a verified JS bundle, tried with the Node that runs the agent", async () => {
    fresh();
    const files = agentFiles(dir, "bundle");
    mkdirSync(files.bin, { recursive: true });
    writeFileSync(files.current, "// the running bundle\n");
    const u = upgrader({ running: { format: "bundle", path: files.current, node: process.execPath } });
    u.accept(order({ executableSha256: undefined, bundleSha256: sha256(servedBundle) }));
    await settle(u);
    expect(u.report()).toBeUndefined();
    expect(u.interruptSignal().aborted).toBe(true);
    expect(readFileSync(files.staged, "utf8")).toBe(servedBundle);
  });

  it("reports success after a restart into the ordered version, until a heartbeat was accepted", async () => {
    fresh();
    const record: UpgradeRecord = {
      id: crypto.randomUUID(),
      from: "0.0.1",
      to: AGENT_VERSION,
      format: "executable",
      state: "in-progress",
      deadlineSeconds: 30,
      at: new Date().toISOString(),
      reported: false,
    };
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "upgrade.json"), JSON.stringify(record));
    const u = upgrader();
    const report = u.report();
    expect(report).toEqual({ id: record.id, state: "succeeded" });
    await u.acknowledged(report!);
    expect(u.report()).toBeUndefined();
    expect(loadUpgradeRecord(join(dir, "upgrade.json"))).toMatchObject({
      state: "succeeded",
      reported: true,
    });
  });

  it("reports failure when it restarts into the old version before the swap finished", () => {
    fresh();
    mkdirSync(dir, { recursive: true });
    const id = crypto.randomUUID();
    writeFileSync(
      join(dir, "upgrade.json"),
      JSON.stringify({
        id,
        from: AGENT_VERSION,
        to: NEW_VERSION,
        format: "executable",
        state: "preparing",
        deadlineSeconds: 30,
        at: "",
        reported: false,
      }),
    );
    expect(upgrader().report()).toMatchObject({
      id,
      state: "failed",
      detail: expect.stringMatching(new RegExp(`restarted before the upgrade to ${NEW_VERSION} finished`)),
    });
  });
});

describe("upgrade-guard", () => {
  it("restores the previous build when the new one has not checked in, and does nothing after a check-in", async () => {
    const dir = tempDir("guard");
    try {
      const files = agentFiles(dir, "executable");
      mkdirSync(files.bin, { recursive: true });
      writeFileSync(files.current, "new build");
      writeFileSync(files.previous, "old build");
      const record: UpgradeRecord = {
        id: crypto.randomUUID(),
        from: "1.0.0",
        to: "1.1.0",
        format: "executable",
        state: "succeeded",
        deadlineSeconds: 45,
        at: "",
        reported: true,
        // The guard validates the unit name before it runs systemctl with it.
        unit: "not a unit; rm -rf /",
      };
      writeFileSync(files.record, JSON.stringify(record));
      expect(await runUpgradeGuard(dir)).toBe(0);
      expect(readFileSync(files.current, "utf8")).toBe("new build");

      writeFileSync(files.record, JSON.stringify({ ...record, state: "in-progress", reported: false }));
      expect(await runUpgradeGuard(dir)).toBe(1); // restored, but that unit name is refused
      expect(readFileSync(files.current, "utf8")).toBe("old build");
      expect(existsSync(files.previous)).toBe(false);
      expect(loadUpgradeRecord(files.record)).toMatchObject({
        state: "rolled-back",
        reported: false,
        detail: "version 1.1.0 did not check in within 45 s; version 1.0.0 was restored",
      });
      expect(await runUpgradeGuard("relative/path")).toBe(64);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
