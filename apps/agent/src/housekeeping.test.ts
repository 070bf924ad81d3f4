// Housekeeping against the real Docker Engine: the resources a heartbeat carries, and an image
// prune that removes only an unreferenced Capstan-built image of a service this agent manages,
// keeping the one a kept release lists, one a container uses, another agent's and an unmanaged
// one. Every image here is created by this test under a unique name and removed afterwards.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dockerEngine, dockerImage, requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, silentLog, tempDir, uniqueName, waitFor } from "../test/helpers";
import { DockerHost } from "./docker";
import { Housekeeper } from "./housekeeping";
import { pruneImages } from "./image-prune";
import { collectResources, ResourceReporter } from "./resources";

const ok = requireComponents("housekeeping", dockerEngine(), dockerImage("capstan-busybox:test"));

const hex12 = () => randomBytes(6).toString("hex");
const exists = (tag: string) => {
  try {
    docker(["image", "inspect", tag]);
    return true;
  } catch {
    return false;
  }
};
/** A new image (its own id) on top of the local busybox, built without a context or a container. */
const build = (tag: string) =>
  docker(["build", "-q", "-t", tag, "-"], `FROM capstan-busybox:test\nLABEL h5=${tag}\n`);

describe.skipIf(!ok)("housekeeping on the real Docker Engine", () => {
  const dockerHost = new DockerHost("/var/run/docker.sock", false);
  const dir = tempDir("housekeeping");
  const composeDir = join(dir, "state", "compose");
  const workflow = uniqueName("h5p");
  const container = uniqueName("h5-used");
  const tags = {
    kept: `capstan/${workflow}-web-app:${hex12()}`,
    gone: `capstan/${workflow}-web-app:${hex12()}`,
    used: `capstan/${workflow}-web-app:${hex12()}`,
    foreign: `capstan/${uniqueName("h5other")}-web-app:${hex12()}`,
    unmanaged: `${uniqueName("h5-unmanaged")}:latest`,
  };

  beforeAll(() => {
    const release = join(composeDir, workflow, "web", "releases", "r1");
    mkdirSync(release, { recursive: true });
    writeFileSync(join(release, "release.json"), JSON.stringify({ images: [tags.kept] }));
    // Each an image of its own: a tag of capstan-busybox:test would be kept anyway whenever some
    // container (other tests run them) uses that image, and the test could not fail.
    for (const tag of Object.values(tags)) build(tag);
    docker(["create", "--name", container, tags.used, "true"]);
  }, 180_000);

  afterAll(() => {
    try {
      docker(["rm", "-f", container]);
    } catch {
      // not created
    }
    for (const tag of Object.values(tags)) {
      try {
        docker(["rmi", tag]);
      } catch {
        // already gone
      }
    }
  });

  it("reports the disks, memory and Docker's images, volumes and build cache", async () => {
    const resources = await collectResources(join(dir, "state"), dockerHost);
    const state = resources.disks.find((d) => d.role === "state");
    expect(state?.totalBytes).toBeGreaterThan(0);
    expect(state!.availableBytes).toBeLessThanOrEqual(state!.totalBytes);
    expect(resources.disks.find((d) => d.role === "docker")?.path).toMatch(/^\//);
    expect(state?.device).toBeTypeOf("number");
    expect(resources.memory?.totalBytes).toBeGreaterThan(resources.memory?.availableBytes ?? Infinity);
    // This test's own images exist, so the Engine counts at least these.
    expect(resources.docker?.images).toBeGreaterThanOrEqual(3);
    expect(resources.docker?.imagesBytes).toBeGreaterThan(0);
    expect(resources.docker?.volumesBytes).toBeGreaterThanOrEqual(0);
    expect(resources.docker?.buildCacheBytes).toBeGreaterThanOrEqual(0);
  });

  it("without Docker it still reports the state directory's disk", async () => {
    const resources = await collectResources(dir, new DockerHost(join(dir, "no.sock"), false));
    expect(resources.docker).toBeUndefined();
    expect(resources.disks.map((d) => d.role)).toEqual(["state"]);
  });

  it("removes only the unreferenced, unused image Capstan built for a service it manages", async () => {
    const report = await pruneImages(dockerHost, composeDir, "3f1c2a9e-0000-4000-8000-000000000001");
    expect(report.error).toBeUndefined();
    expect(report.removed.filter((t) => t.includes(workflow))).toEqual([tags.gone]);
    expect(report.removed.every((t) => t.includes(workflow))).toBe(true);
    expect(report.freedBytes).toBeGreaterThan(0);
    expect(report.orderId).toBe("3f1c2a9e-0000-4000-8000-000000000001");
    expect(exists(tags.gone)).toBe(false);
    for (const tag of [tags.kept, tags.used, tags.foreign, tags.unmanaged])
      expect(exists(tag), tag).toBe(true);
  });

  it("does not hold a heartbeat up for a slow collection: it rides on the next one", async () => {
    let finish: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const reporter = new ResourceReporter(
      async () => {
        await gate;
        return collectResources(dir, null);
      },
      60_000,
      20,
    );
    expect(await reporter.due(1000)).toBeUndefined();
    finish();
    // Later beats get it once it is there (each waits at most 20 ms), and only once.
    expect((await waitFor("resources", () => reporter.due(2000)))?.disks[0]?.role).toBe("state");
    expect(await reporter.due(3000)).toBeUndefined();
    reporter.retry();
    expect((await waitFor("resources again", () => reporter.due(4000)))?.disks[0]?.role).toBe("state");
  });

  it("prunes on its schedule: not at the first start, then once per period", async () => {
    const stateDir = join(dir, "hk-schedule");
    mkdirSync(stateDir, { recursive: true });
    let now = Date.parse("2026-12-01T00:00:00Z");
    const pruned: (string | undefined)[] = [];
    const keeper = new Housekeeper({
      stateDir,
      log: silentLog,
      resources: new ResourceReporter(() => collectResources(stateDir, null), 60_000),
      prune: (orderId) => {
        pruned.push(orderId ?? "scheduled");
        return pruneImages(dockerHost, composeDir, orderId);
      },
      verify: () => true,
      pruneEveryMs: 3_600_000,
      now: () => now,
    });
    await keeper.beforeBeat();
    await keeper.idle();
    expect(pruned).toEqual([]);
    now += 3_599_000;
    await keeper.beforeBeat();
    await keeper.idle();
    expect(pruned).toEqual([]);
    now += 1000;
    await keeper.beforeBeat();
    await keeper.idle();
    expect(pruned).toEqual(["scheduled"]);
    const report = (await keeper.beforeBeat()).prune;
    expect(report?.orderId).toBeUndefined();
    expect(report?.error).toBeUndefined();
    expect(pruned).toEqual(["scheduled"]);
  });

  it("runs an order once, keeps its report until a heartbeat takes it, and remembers it across restarts", async () => {
    const stateDir = join(dir, "hk");
    mkdirSync(stateDir, { recursive: true });
    const pruned: (string | undefined)[] = [];
    const make = () =>
      new Housekeeper({
        stateDir,
        log: silentLog,
        resources: new ResourceReporter(() => collectResources(stateDir, null), 60_000),
        prune: (orderId) => {
          pruned.push(orderId);
          return pruneImages(dockerHost, composeDir, orderId);
        },
        verify: (order) => order.id !== "3f1c2a9e-0000-4000-8000-0000000000ff",
        pruneEveryMs: 0,
      });
    const keeper = make();
    const first = await keeper.beforeBeat();
    expect(first.resources?.disks[0]?.role).toBe("state");
    expect(first.prune).toBeUndefined();
    // A refused signature runs nothing.
    keeper.afterBeat(undefined, { id: "3f1c2a9e-0000-4000-8000-0000000000ff" });
    await keeper.idle();
    expect(pruned).toEqual([]);

    const id = "3f1c2a9e-0000-4000-8000-000000000002";
    keeper.afterBeat(undefined, { id });
    await keeper.idle();
    keeper.afterBeat(undefined, { id });
    await keeper.idle();
    expect(pruned).toEqual([id]);
    const second = await keeper.beforeBeat();
    expect(second.resources).toBeUndefined();
    expect(second.prune).toMatchObject({ orderId: id, removed: [] });

    // A restart before the report was accepted: sent again, the order is not run again.
    const again = make();
    const third = await again.beforeBeat();
    expect(third.prune?.orderId).toBe(id);
    again.afterBeat(third.prune, { id });
    await again.idle();
    expect(pruned).toEqual([id]);
    expect((await again.beforeBeat()).prune).toBeUndefined();
  });
});
