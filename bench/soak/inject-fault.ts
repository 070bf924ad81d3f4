// Carries out one fault of the schedule (fault-schedule.ts) against the soak's running parts.
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { RunningServer } from "../../apps/web/src/server/agent/test-server";
import type { AgentGroups } from "./agent-groups";
import type { ScheduledFault } from "./fault-schedule";
import type { PostgresCluster } from "./postgres-cluster";
import type { RealAgents } from "./real-agents";
import type { TcpProxy } from "./tcp-proxy";

export interface SoakParts {
  dir: string;
  groups: AgentGroups;
  realAgents: RealAgents;
  /** Replaced in place when a replica restarts. */
  replicas: RunningServer[];
  proxies: TcpProxy[];
  cluster: PostgresCluster;
  startReplica(port: number): Promise<RunningServer>;
  log(message: string): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when the fault is over (the partition healed, the replica answering again, ...). */
export async function injectFault(fault: ScheduledFault, parts: SoakParts): Promise<void> {
  switch (fault.kind) {
    case "agent-kill":
      return parts.groups.kill(fault.group, 2000);
    case "real-agent-kill":
      return parts.realAgents.kill(fault.agent, 2000);
    case "replica-restart": {
      const old = parts.replicas[fault.replica]!;
      const exited = new Promise((resolve) =>
        old.process.exitCode === null && old.process.signalCode === null
          ? old.process.once("exit", resolve)
          : resolve(null),
      );
      old.process.kill("SIGKILL");
      await exited;
      await sleep(2000);
      parts.replicas[fault.replica] = await parts.startReplica(old.port);
      return;
    }
    case "postgres-restart":
      return parts.cluster.restart();
    case "partition": {
      parts.proxies[fault.replica]!.partition();
      await sleep(fault.seconds * 1000);
      return parts.proxies[fault.replica]!.heal();
    }
    case "clock-skew":
      parts.groups.send(fault.group, { type: "skew", seconds: fault.skewSeconds });
      await sleep(fault.seconds * 1000);
      return parts.groups.send(fault.group, { type: "skew", seconds: 0 });
    case "disk-full":
      return fillDisk(
        parts,
        fault.group,
        join(parts.dir, `full-${fault.group}-${fault.atSeconds}`),
        fault.seconds,
      );
  }
}

/** A tiny tmpfs as the group's work folder; where mounting is not allowed, a simulated ENOSPC. */
async function fillDisk(parts: SoakParts, group: number, mountPoint: string, seconds: number) {
  mkdirSync(mountPoint, { recursive: true });
  const run = promisify(execFile);
  const mounted = await run("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint]).then(
    () => true,
    () => false,
  );
  parts.log(
    mounted ? `disk-full: a 64 KiB tmpfs at ${mountPoint}` : "disk-full: mount refused; simulated ENOSPC",
  );
  parts.groups.send(group, { type: "disk", dir: mountPoint, simulated: !mounted });
  await sleep(seconds * 1000);
  parts.groups.send(group, { type: "disk", dir: null, simulated: false });
  await sleep(5000); // jobs that had opened a file there finish failing first
  if (mounted) await run("umount", ["-l", mountPoint]).catch(() => {});
}
