// Agent upgrades on a real systemd host. The control plane serves a folder this test publishes
// agent builds into; the host installs the first one with install.sh. Then:
//   - a real new build is ordered: it is downloaded, checked, swapped in, restarted through
//     systemd, checks in, and the rollback guard is cancelled;
//   - a build that starts but never comes up is ordered: the guard restores the previous agent
//     after the deadline, which then reports the rollback;
//   - an order whose sha256 does not match what is served changes nothing.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { getAgentRelease } from "@capstan/core/agents/get-agent-release";
import { requestAgentUpgrades } from "@capstan/core/fleet/request-agent-upgrades";
import type { AgentUpgrade } from "@capstan/db";
import { dockerEngine, dockerImage, requireComponents, SYSTEMD_HOST_IMAGE } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, controlPlaneAvailable, startControlPlane } from "./control-plane";
import { type SystemdHost, startSystemdHost, tempDir, uniqueName, waitFor } from "./helpers";

const ok = requireComponents(
  "agent upgrade",
  dockerEngine(),
  dockerImage(SYSTEMD_HOST_IMAGE),
  ...(await controlPlaneAvailable()),
);

const AGENT_DIR = join(import.meta.dirname, "..");
const V1 = "0.1.0-upgrade.1";
const V2 = "0.1.0-upgrade.2";
const BROKEN = "0.1.0-broken";
const DEADLINE_SECONDS = 30;
const FILES = ["capstan-agent", "capstan-agent.cjs", "VERSION", "SHA256SUMS"];

const buildAgent = (version: string, out: string) =>
  promisify(execFile)(process.execPath, [
    join(AGENT_DIR, "scripts/build.mjs"),
    "--version",
    version,
    "--out",
    out,
  ]);

/** Replaces the served files one by one, each atomically (a download never sees half a file). */
function publish(from: string, to: string): void {
  for (const file of FILES) {
    if (!existsSync(join(from, file))) continue;
    copyFileSync(join(from, file), join(to, `.${file}.tmp`));
    renameSync(join(to, `.${file}.tmp`), join(to, file));
  }
}

describe.skipIf(!ok)("agent upgrade on a real systemd host", { timeout: 180_000 }, () => {
  let cp: ControlPlane;
  let host: SystemdHost;
  let dir: string;
  let served: string;
  let hostId: string;
  const name = uniqueName("upg");

  const agentVersionOnHost = () => host.exec(["/usr/local/bin/capstan-agent", "version"]).trim();
  const journal = () =>
    host.tryExec([
      "journalctl",
      "--no-pager",
      "-n",
      "60",
      "-u",
      "capstan-agent",
      "-u",
      "capstan-agent-upgrade-*",
    ]).stdout;
  const upgrade = async () => {
    const result = await requestAgentUpgrades(cp.db.prisma, {
      teamId: cp.teamId,
      hostIds: [hostId],
      actor: { type: "SYSTEM", label: "upgrade test" },
      release: await getAgentRelease(served),
      deadlineSeconds: DEADLINE_SECONDS,
    });
    expect(result.skipped).toEqual([]);
    return result.requested[0]!.upgradeId;
  };
  const finished = (id: string, timeoutMs: number) =>
    waitFor(
      `upgrade ${id} to finish`,
      async () => {
        const row = await cp.db.prisma.agentUpgrade.findUniqueOrThrow({ where: { id } });
        return row.status === "PENDING" || row.status === "IN_PROGRESS" ? null : row;
      },
      { timeoutMs, context: journal },
    ) as Promise<AgentUpgrade>;
  const hostRow = () => cp.db.prisma.host.findUniqueOrThrow({ where: { id: hostId } });

  beforeAll(async () => {
    dir = tempDir("upgrade");
    served = join(dir, "served");
    mkdirSync(served);
    await Promise.all([buildAgent(V1, served), buildAgent(V2, join(dir, "v2"))]);
    cp = await startControlPlane({
      heartbeatSeconds: 2,
      pollSeconds: 5,
      agentDistDir: served,
      env: { CAPSTAN_AGENT_UPGRADE_DEADLINE_SECONDS: String(DEADLINE_SECONDS) },
    });
    host = await startSystemdHost("capstan-agent-upgrade");
    const token = await cp.enrollmentToken();
    const installed = host.tryExec([
      "sh",
      "-c",
      'curl -fsSL "$1/install.sh" | sh -s -- --token "$2" --name "$3"',
      "install",
      cp.url,
      token,
      name,
    ]);
    expect(installed.code, installed.stdout + installed.stderr).toBe(0);
    const row = await waitFor("the host to check in", async () => {
      const h = await cp.db.prisma.host.findFirst({ where: { teamId: cp.teamId, name } });
      return h?.status === "ONLINE" && h.agentVersion ? h : null;
    });
    hostId = row.id;
    expect(row.agentVersion).toBe(V1);
  }, 240_000);

  afterAll(async () => {
    host?.remove();
    await cp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("upgrades to the served build: the new version checks in and the guard is cancelled", async () => {
    publish(join(dir, "v2"), served);
    const id = await upgrade();
    const row = await finished(id, 90_000);
    expect(row).toMatchObject({ status: "SUCCEEDED", fromVersion: V1, toVersion: V2 });
    expect(await hostRow()).toMatchObject({ status: "ONLINE", agentVersion: V2 });
    expect(agentVersionOnHost()).toBe(V2);
    expect(host.exec(["/var/lib/capstan/bin/capstan-agent.previous", "version"]).trim()).toBe(V1);
    expect(host.exec(["systemctl", "is-active", "capstan-agent"]).trim()).toBe("active");
    // The guard timer was stopped by the check-in, not left to fire.
    const timer = host.tryExec(["systemctl", "is-active", `capstan-agent-upgrade-${id.slice(0, 8)}.timer`]);
    expect(timer.stdout.trim()).not.toBe("active");
    const events = await cp.db.prisma.auditEvent.findMany({
      where: { targetId: hostId },
      orderBy: { id: "asc" },
    });
    expect(events.map((e) => e.kind)).toEqual(
      expect.arrayContaining(["agent.upgrade_requested", "agent.upgrade_succeeded"]),
    );
  });

  it("restores the previous agent when the new build never checks in", async () => {
    // Starts far enough to answer `version` (the agent's own pre-flight), then fails as a build
    // that crashes at start-up would.
    const broken = join(dir, "broken");
    mkdirSync(broken);
    writeFileSync(
      join(broken, "capstan-agent"),
      `#!/bin/sh\nif [ "$1" = version ]; then echo ${BROKEN}; exit 0; fi\necho "capstan-agent: cannot start" >&2\nexit 1\n`,
      { mode: 0o755 },
    );
    writeFileSync(join(broken, "VERSION"), `${BROKEN}\n`);
    publish(broken, served);
    const id = await upgrade();
    const row = await finished(id, 120_000);
    expect(row.status, row.detail ?? "").toBe("ROLLED_BACK");
    expect(row.detail).toBe(
      `version ${BROKEN} did not check in within ${DEADLINE_SECONDS} s; version ${V2} was restored`,
    );
    expect(agentVersionOnHost()).toBe(V2);
    await waitFor("the restored agent to heartbeat", async () => {
      const h = await hostRow();
      return h.status === "ONLINE" && h.agentVersion === V2 && Date.now() - h.lastSeenAt!.getTime() < 5000;
    });
    expect(journal()).toMatch(/cannot start/);
    expect(host.exec(["/usr/local/bin/capstan-agent", "status"])).toContain(
      `last upgrade:  ${V2} -> ${BROKEN} rolled-back`,
    );
  });

  it("refuses a download whose sha256 is not the ordered one, and changes nothing", async () => {
    publish(join(dir, "v2"), served);
    const before = host.exec(["sha256sum", "/var/lib/capstan/bin/capstan-agent"]);
    // An order made before the served build changed: its sha256 no longer matches the download.
    const order = await cp.db.prisma.agentUpgrade.create({
      data: {
        teamId: cp.teamId,
        hostId,
        fromVersion: V2,
        toVersion: "0.1.0-upgrade.3",
        executableSha256: createHash("sha256").update("something else").digest("hex"),
        deadlineSeconds: DEADLINE_SECONDS,
      },
    });
    const row = await finished(order.id, 60_000);
    expect(row.status).toBe("FAILED");
    expect(row.detail).toMatch(
      /the downloaded agent's sha256 is [0-9a-f]{64}, the order expects .*nothing was changed/,
    );
    expect(host.exec(["sha256sum", "/var/lib/capstan/bin/capstan-agent"])).toBe(before);
    expect(readFileSync(join(served, "VERSION"), "utf8").trim()).toBe(V2);
    expect((await hostRow()).agentVersion).toBe(V2);
  });
});
