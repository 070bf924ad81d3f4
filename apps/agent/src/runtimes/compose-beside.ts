// Zero-downtime switches for Compose: the new release starts in the service's idle slot
// (compose-slots.ts), a second Compose project beside the one that serves, and is health-checked
// there; promoting it makes its slot the active one, and the old project is taken down once the
// route points at the new containers (switch-release.ts drives this). A release that cannot run
// twice at once restarts in place instead; besideBlocker says why.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseWorkflowYaml } from "@capstan/templates/workflow/parse-workflow-yaml";
import type { ComposeRuntime } from "./compose";
import { otherSlot } from "./compose-slots";
import type { BesideRelease, ServiceRef, StepContext } from "./types";

const DOWN = ["down", "--remove-orphans"];

type Doc = Record<string, unknown>;

const asRecord = (value: unknown): Doc =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Doc) : {};

/** A mount another copy of the service would write to as well (a bind without read-only). */
function writableMount(volume: unknown): string | null {
  if (typeof volume === "string") {
    const [source, target, mode] = volume.split(":");
    if (!target) return null; // an anonymous volume: each container has its own
    return (mode ?? "").split(",").includes("ro") ? null : `${source}:${target}`;
  }
  const v = asRecord(volume);
  if (v.type === "tmpfs" || v.read_only === true || v.source === undefined) return null;
  return `${String(v.source)}:${String(v.target)}`;
}

/**
 * Why the rendered Compose document cannot run twice at once on this host, or null. The rules
 * are an allowlist of what is safe to double: nothing bound to the host's ports or names, no
 * per-project volume (the second copy would start with an empty one), no folder both copies
 * would write to (a database must never run twice over the same files).
 */
export function composeBesideBlocker(document: unknown): string | null {
  const doc = asRecord(document);
  if (Object.keys(asRecord(doc.volumes)).length)
    return "it declares named volumes (a second copy would get new, empty ones)";
  for (const [name, raw] of Object.entries(asRecord(doc.services))) {
    const svc = asRecord(raw);
    if (Array.isArray(svc.ports) && svc.ports.length)
      return `Compose service ${name} publishes host ports (two copies cannot listen on one port)`;
    if (svc.container_name !== undefined)
      return `Compose service ${name} sets container_name (two copies cannot share a name)`;
    if (svc.network_mode === "host")
      return `Compose service ${name} uses the host network (two copies cannot listen on one port)`;
    for (const volume of Array.isArray(svc.volumes) ? svc.volumes : []) {
      const mount = writableMount(volume);
      if (mount)
        return `Compose service ${name} writes to the host folder ${mount} (two copies would share it)`;
    }
  }
  return null;
}

export async function composeReleaseBlocker(
  runtime: ComposeRuntime,
  ref: ServiceRef,
  releaseId: string,
): Promise<string | null> {
  const file = join(runtime.releaseDir(ref.workflow, ref.service, releaseId), "compose.yaml");
  const parsed = parseWorkflowYaml(await readFile(file, "utf8"), { version: "1.1" });
  if (!parsed.ok) return "its compose file cannot be read";
  return composeBesideBlocker(parsed.parsed.value);
}

export async function startComposeBeside(
  runtime: ComposeRuntime,
  ref: ServiceRef,
  releaseId: string,
  ctx: StepContext,
): Promise<BesideRelease> {
  const current = runtime.activeSlot(ref);
  const next = otherSlot(current);
  const project = runtime.slotProject(ref, next);
  const old = runtime.slotProject(ref, current);
  // What an interrupted switch left in the idle slot goes first.
  await runtime.downProject(ref, project, DOWN, ctx.signal);
  const beside: BesideRelease = {
    label: project,
    probe: (checks, signal) => runtime.probe(ref, checks, signal, project),
    recentLogs: (lines, signal) => runtime.recentLogs(ref, lines, signal, project),
    async promote(promoteCtx) {
      runtime.setActiveSlot(ref, next);
      await runtime.syncTasks(ref, releaseId, promoteCtx);
    },
    demote: () => runtime.setActiveSlot(ref, current),
    // No signal: a cancelled deploy still removes its half-started copy.
    abandon: () => runtime.downProject(ref, project, DOWN),
    retireOld: (retireCtx) => runtime.downProject(ref, old, DOWN, retireCtx.signal),
  };
  try {
    await runtime.up(ref, releaseId, ctx, project);
  } catch (error) {
    await beside.abandon().catch(() => undefined);
    throw error;
  }
  return beside;
}
