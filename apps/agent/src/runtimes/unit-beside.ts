// Zero-downtime switches for systemd and Nix services: the new release starts in the service's
// idle unit slot (unit-slots.ts) on that slot's loopback port, and is health-checked there;
// promoting it makes its slot the active one (what labels, probes, heartbeats and routes follow),
// and the old unit is stopped and removed once the route points at the new port
// (switch-release.ts drives this). A release without `portEnv` restarts in place instead;
// unitBesideBlocker says why.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { HealthCheck } from "@capstan/templates";
import { runLogged } from "../exec";
import { writeFileAtomic } from "../state";
import { activeSlot, otherSlot, setActiveSlot } from "./compose-slots";
import { type Softening, startWithHardeningRetry } from "./hardening-retry";
import type { BesideRelease, ServiceRef, StepContext } from "./types";
import { probeUnit, removeUnit, unitJournal } from "./unit-control";
import {
  checksOnPort,
  type PortSettings,
  slotBPort,
  slotPorts,
  slotUnitName,
  slotUnitText,
} from "./unit-slots";

/** What a unit runtime (systemd, Nix) gives the shared slot code. */
export interface UnitSlotHost {
  readonly kind: "systemd" | "nix";
  readonly unitDir: string;
  /** capstan-<workflow>-<service>.service: slot "a". */
  baseUnit(ref: ServiceRef): string;
  slotDir(ref: ServiceRef): string;
  /** The port settings saved with the release when it was staged; null without portEnv. */
  releasePorts(ref: ServiceRef, releaseId: string): PortSettings | null;
  /** The release's saved unit text. */
  releaseUnit(ref: ServiceRef, releaseId: string): string;
  /**
   * The text as it runs beside another release: paths through the `current` link pinned to the
   * release, since `current` moves to the new release while the old one still drains.
   */
  pinUnit(ref: ServiceRef, releaseId: string, text: string): string;
  /** Keeps a unit text softened by the hardening retry (by `step`) as the release's own. */
  saveReleaseUnit(ref: ServiceRef, releaseId: string, text: string, step: Softening): void;
  /** Makes `releaseId` the service's (its `current` link, its tasks) once its unit is the active one. */
  adopt(ref: ServiceRef, releaseId: string, unitText: string, ctx: StepContext): Promise<void>;
  currentRelease(ref: ServiceRef): Promise<string | null>;
}

export function unitBesideBlocker(host: UnitSlotHost, ref: ServiceRef, releaseId: string): string | null {
  return host.releasePorts(ref, releaseId)
    ? null
    : `it sets no ${host.kind}.portEnv (the variable its program reads its port from), so a second copy could not listen beside it`;
}

/**
 * The health checks as they reach the unit that serves now: when slot "b" is active, loopback
 * checks of the domains' port go to its port.
 */
export function activeChecks(host: UnitSlotHost, ref: ServiceRef, checks: readonly HealthCheck[]) {
  const dir = host.slotDir(ref);
  const ports = slotPorts(dir);
  return ports && activeSlot(dir) === "b" ? checksOnPort(checks, ports.routed, ports.b) : [...checks];
}

/** The unit text for an in-place activation in the active slot, with that slot's port. */
export async function inPlaceUnitText(
  host: UnitSlotHost,
  ref: ServiceRef,
  releaseId: string,
  text: string,
): Promise<string> {
  const ports = host.releasePorts(ref, releaseId);
  if (!ports) return text;
  const dir = host.slotDir(ref);
  const slot = activeSlot(dir);
  const saved = slotPorts(dir);
  // Slot "b" keeps its port when it restarts in place: the route already points there.
  const port =
    slot === "a"
      ? ports.routed
      : saved?.routed === ports.routed
        ? saved.b
        : await slotBPort(dir, ports.routed);
  return slotUnitText(text, host.baseUnit(ref), slot, port, ports.portEnv);
}

export async function startUnitBeside(
  host: UnitSlotHost,
  ref: ServiceRef,
  releaseId: string,
  ctx: StepContext,
  checks?: readonly HealthCheck[],
): Promise<BesideRelease> {
  const ports = host.releasePorts(ref, releaseId);
  if (!ports) throw new Error(`release ${releaseId} sets no ${host.kind}.portEnv`);
  const dir = host.slotDir(ref);
  const base = host.baseUnit(ref);
  const current = activeSlot(dir);
  const next = otherSlot(current);
  const unit = slotUnitName(base, next);
  const old = slotUnitName(base, current);
  const unitPath = join(host.unitDir, unit);
  const running = await host.currentRelease(ref);
  // What an interrupted switch left in the idle slot goes first (its port is free again then).
  await removeUnit(unitPath, unit, ctx.signal);
  const port = next === "a" ? ports.routed : await slotBPort(dir, ports.routed);
  let runs = host.releaseUnit(ref, releaseId);
  const beside: BesideRelease = {
    label: unit,
    probe: (checks, signal) => probeUnit(unit, unitPath, checksOnPort(checks, ports.routed, port), signal),
    recentLogs: (lines, signal) => unitJournal(unit, lines, signal),
    async promote(promoteCtx) {
      setActiveSlot(dir, next);
      // Started at boot from now on; the old unit is removed by retireOld.
      await runLogged("systemctl", ["enable", unit], promoteCtx);
      await host.adopt(ref, releaseId, runs, promoteCtx);
    },
    async demote(demoteCtx) {
      setActiveSlot(dir, current);
      if (running) await host.adopt(ref, running, readFileSync(join(host.unitDir, old), "utf8"), demoteCtx);
    },
    // No signal: a cancelled deploy still removes its half-started copy.
    abandon: () => removeUnit(unitPath, unit),
    retireOld: (retireCtx) => removeUnit(join(host.unitDir, old), old, retireCtx.signal),
  };
  try {
    runs = await startWithHardeningRetry(
      unit,
      runs,
      async (text) => {
        const slotted = slotUnitText(host.pinUnit(ref, releaseId, text), base, next, port, ports.portEnv);
        writeFileAtomic(unitPath, slotted, 0o644);
        for (const args of [["daemon-reload"], ["restart", unit]]) await runLogged("systemctl", args, ctx);
        ctx.log("info", `${host.kind}: ${unit} started with release ${releaseId} on 127.0.0.1:${port}`);
      },
      (text, step) => host.saveReleaseUnit(ref, releaseId, text, step),
      ctx,
      checks && (async () => (await beside.probe(checks, ctx.signal)).status === "HEALTHY"),
    );
  } catch (error) {
    await beside.abandon().catch(() => undefined);
    throw error;
  }
  return beside;
}
