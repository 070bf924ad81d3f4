// Two Compose projects per service, so a new release can start beside the running one (a
// zero-downtime switch, compose-beside.ts): slot "a" keeps the plain project name (services
// deployed before slots existed are in it), slot "b" adds `_b`. Workflow and service names never
// hold an underscore, so no other service's project can be called that. The active slot is
// recorded in `<service dir>/slot`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../state";

export type Slot = "a" | "b";

const FILE = "slot";

export function slotProjectName(project: string, slot: Slot): string {
  return slot === "a" ? project : `${project}_b`;
}

export function otherSlot(slot: Slot): Slot {
  return slot === "a" ? "b" : "a";
}

export function activeSlot(serviceDir: string): Slot {
  try {
    return readFileSync(join(serviceDir, FILE), "utf8").trim() === "b" ? "b" : "a";
  } catch {
    return "a";
  }
}

export function setActiveSlot(serviceDir: string, slot: Slot): void {
  writeFileAtomic(join(serviceDir, FILE), `${slot}\n`, 0o600);
}
