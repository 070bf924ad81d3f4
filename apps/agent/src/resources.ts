// What the host has left, for the heartbeat's `resources`: the filesystems of the agent's state
// directory and of Docker's data root (statfs), memory (/proc/meminfo) and Docker's own disk use
// (the Engine's `df`: images, volumes, build cache). `df` walks every layer and volume, so the
// answer is cached and sent every few minutes, not on every heartbeat.
import { readFile, stat, statfs } from "node:fs/promises";
import type { HostResources } from "@capstan/protocol";
import type { DockerHost } from "./docker";

export const RESOURCES_EVERY_MS = 5 * 60_000;

type Disk = HostResources["disks"][number];

async function disk(role: Disk["role"], path: string): Promise<Disk | null> {
  try {
    const [s, st] = await Promise.all([statfs(path), stat(path)]);
    return { role, path, totalBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize, device: st.dev };
  } catch {
    // Not there (yet) or not ours to read: reported without it rather than failing the heartbeat.
    return null;
  }
}

/** MemTotal and MemAvailable from /proc/meminfo (kB), or undefined off Linux. */
export async function readMemory(file = "/proc/meminfo"): Promise<HostResources["memory"]> {
  const text = await readFile(file, "utf8").catch(() => "");
  const kb = (key: string) => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text);
    return match ? Number(match[1]) * 1024 : undefined;
  };
  const totalBytes = kb("MemTotal");
  const availableBytes = kb("MemAvailable");
  return totalBytes !== undefined && availableBytes !== undefined
    ? { totalBytes, availableBytes }
    : undefined;
}

interface EngineDf {
  LayersSize?: number;
  Images?: unknown[];
  Containers?: { SizeRw?: number }[];
  Volumes?: { UsageData?: { Size?: number } }[];
  BuildCache?: { Size?: number }[];
}

const sum = (values: (number | undefined)[]) => values.reduce<number>((a, v) => a + Math.max(0, v ?? 0), 0);

async function dockerUsage(
  docker: DockerHost,
): Promise<{ usage: HostResources["docker"]; root: string | undefined }> {
  const engine = await docker.engine();
  const [df, info] = (await Promise.all([engine.df(), engine.info()])) as [
    EngineDf,
    { DockerRootDir?: string },
  ];
  return {
    root: info.DockerRootDir,
    usage: {
      imagesBytes: Math.max(0, df.LayersSize ?? 0),
      images: df.Images?.length ?? 0,
      // -1 means "not computed" (a volume driver that cannot tell): counted as 0.
      volumesBytes: sum((df.Volumes ?? []).map((v) => v.UsageData?.Size)),
      volumes: df.Volumes?.length ?? 0,
      buildCacheBytes: sum((df.BuildCache ?? []).map((b) => b.Size)),
      containersBytes: sum((df.Containers ?? []).map((c) => c.SizeRw)),
    },
  };
}

export async function collectResources(
  stateDir: string,
  docker: DockerHost | null,
  now = new Date(),
): Promise<HostResources> {
  const fromDocker = docker ? await dockerUsage(docker).catch(() => null) : null;
  const disks = await Promise.all([
    disk("state", stateDir),
    fromDocker?.root ? disk("docker", fromDocker.root) : null,
  ]);
  const memory = await readMemory();
  return {
    collectedAt: now.toISOString(),
    disks: disks.filter((d): d is Disk => d !== null),
    ...(memory ? { memory } : {}),
    ...(fromDocker?.usage ? { docker: fromDocker.usage } : {}),
  };
}

/**
 * Hands out fresh resources once per `everyMs`; the heartbeat sends `undefined` in between. A
 * slow collection (Docker's `df` on a host with many layers) does not hold the heartbeat up past
 * `waitMs`: it finishes in the background and rides on the next beat.
 */
export class ResourceReporter {
  private lastAt = 0;
  private collecting: Promise<void> | undefined;
  private ready: HostResources | undefined;

  constructor(
    private readonly collect: () => Promise<HostResources>,
    private readonly everyMs = RESOURCES_EVERY_MS,
    private readonly waitMs = 2000,
  ) {}

  async due(nowMs = Date.now()): Promise<HostResources | undefined> {
    if (!this.collecting && !this.ready && (!this.lastAt || nowMs - this.lastAt >= this.everyMs)) {
      this.lastAt = nowMs;
      this.collecting = this.collect()
        .then((resources) => {
          this.ready = resources;
        })
        .catch(() => {
          this.lastAt = 0;
        })
        .finally(() => {
          this.collecting = undefined;
        });
    }
    if (this.collecting) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.collecting, new Promise((r) => (timer = setTimeout(r, this.waitMs)))]);
      clearTimeout(timer);
    }
    const resources = this.ready;
    this.ready = undefined;
    return resources;
  }

  /** The heartbeat carrying them failed: collect again for the next one. */
  retry(): void {
    this.lastAt = 0;
  }
}
