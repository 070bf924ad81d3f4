// Pruning images no kept release references. Deliberately narrow (an allowlist, not "whatever
// looks unused"): only tags Capstan's own builds produce (`capstan/<workflow>-<service>-<svc>:<12
// hex>`, see composeBuildImageTag), only for a workflow/service this agent has a Compose folder
// for, only when no release folder on disk lists the tag and no container (running or stopped)
// uses the image. Pulled images and anything the operator built or pulled are never touched:
// the agent cannot tell its pull from theirs, and a dangling image may be someone's cache.
import { readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { HostPruneReport } from "@capstan/protocol";
import type { DockerHost } from "./docker";

const BUILT_TAG = /^capstan\/([a-z0-9][a-z0-9-]*):([0-9a-f]{12})$/;

const list = (dir: string) => readdir(dir).catch(() => [] as string[]);

/** For every `<workflow>/<service>` Compose folder: its tag prefix and the tags its releases list. */
export async function keptImages(
  composeDir: string,
): Promise<{ prefixes: string[]; referenced: Set<string> }> {
  const prefixes: string[] = [];
  const referenced = new Set<string>();
  for (const workflow of await list(composeDir)) {
    for (const service of await list(join(composeDir, workflow))) {
      prefixes.push(`${workflow}-${service}-`);
      const releases = join(composeDir, workflow, service, "releases");
      for (const release of await list(releases)) {
        try {
          const meta = JSON.parse(readFileSync(join(releases, release, "release.json"), "utf8")) as {
            images?: unknown;
          };
          if (Array.isArray(meta.images)) for (const tag of meta.images) referenced.add(String(tag));
        } catch {
          // A release folder without metadata built nothing.
        }
      }
    }
  }
  return { prefixes, referenced };
}

interface ImageRow {
  Id: string;
  RepoTags?: string[] | null;
  Size?: number;
}

export async function pruneImages(
  docker: DockerHost,
  composeDir: string,
  orderId?: string,
  now = () => new Date(),
): Promise<HostPruneReport> {
  const base = { ...(orderId ? { orderId } : {}), removed: [] as string[], freedBytes: 0 };
  try {
    const engine = await docker.engine();
    const { prefixes, referenced } = await keptImages(composeDir);
    const [images, containers] = (await Promise.all([
      engine.listImages({ all: false }),
      engine.listContainers({ all: true }),
    ])) as [ImageRow[], { ImageID?: string }[]];
    const inUse = new Set(containers.map((c) => c.ImageID));
    for (const image of images) {
      if (inUse.has(image.Id)) continue;
      const tags = (image.RepoTags ?? []).filter((t) => t !== "<none>:<none>");
      const ours = tags.filter((tag) => {
        const match = BUILT_TAG.exec(tag);
        return match && !referenced.has(tag) && prefixes.some((p) => match[1]!.startsWith(p));
      });
      for (const tag of ours) {
        // Without force: the Engine refuses an image a container was created from meanwhile.
        const ok = await engine
          .getImage(tag)
          .remove()
          .then(
            () => true,
            () => false,
          );
        if (ok) base.removed.push(tag);
      }
      // The layers are freed only when the last tag went (shared layers may stay: an upper bound).
      if (ours.length && ours.length === tags.length && ours.every((t) => base.removed.includes(t)))
        base.freedBytes += Math.max(0, image.Size ?? 0);
    }
    return { ...base, removed: base.removed.slice(0, 200), finishedAt: now().toISOString() };
  } catch (error) {
    return {
      ...base,
      removed: base.removed.slice(0, 200),
      finishedAt: now().toISOString(),
      error: `image prune failed: ${(error as Error).message}`.slice(0, 1024),
    };
  }
}
