// What a host can really run, from the facts its agent reports (apps/agent/src/facts.ts): a
// service kind the host cannot run is refused at save, in the deploy preview and at deploy,
// naming the host and the reason, instead of failing on the host after staging.
import type { ServiceKind, ServiceSpec } from "@capstan/templates";
import { displayHostFacts } from "../columns/host-facts";
import { unprocessable } from "../errors";

/** Why `kind` cannot run on a host with these facts, or null when it can or the facts cannot tell. */
export function missingCapability(kind: ServiceKind, value: unknown): string | null {
  const facts = displayHostFacts(value);
  // Agents older than these facts (and hosts that never reported) leave them out: unknown is not
  // refused, the agent on the host still refuses what it cannot run.
  if (typeof facts.systemdPid1 !== "boolean") return null;
  if (kind === "compose") {
    if (facts.dockerVersion === null) return "its agent reaches no Docker Engine";
    if (facts.composeVersion === null) return "neither docker compose nor docker-compose is installed there";
    return null;
  }
  // Nix services run as systemd units too.
  if (!facts.systemdPid1) return "systemd is not PID 1 there (a container, or a host without systemd)";
  if (kind === "nix" && facts.nixVersion === null) return "Nix is not installed there";
  return null;
}

/**
 * Scheduled tasks run as systemd timers, also for Compose services: a Compose host without systemd
 * as PID 1 (the agent in a container) cannot have them. Refused here rather than emulated by the
 * agent, so a task never silently stops running when the agent is down or restarting.
 */
export function missingTaskCapability(value: unknown): string | null {
  const facts = displayHostFacts(value);
  if (typeof facts.systemdPid1 !== "boolean" || facts.systemdPid1) return null;
  return "scheduled tasks run as systemd timers and systemd is not PID 1 there (a container, or a host without systemd)";
}

export interface CapabilityRefusal {
  host: string;
  kind: ServiceKind;
  services: string[];
  reason: string;
  /** What cannot run, when it is not the kind's services themselves (scheduled tasks). */
  what?: string;
}

/** Every host and service kind that cannot meet, one entry per host and kind. */
export function findCapabilityRefusals(
  hosts: readonly { name: string; facts: unknown }[],
  services: readonly { name: string; kind: ServiceKind; spec?: ServiceSpec }[],
): CapabilityRefusal[] {
  const byKind = new Map<ServiceKind, string[]>();
  for (const s of services) byKind.set(s.kind, [...(byKind.get(s.kind) ?? []), s.name]);
  const refusals: CapabilityRefusal[] = [];
  for (const host of hosts) {
    for (const [kind, names] of byKind) {
      const reason = missingCapability(kind, host.facts);
      if (reason) refusals.push({ host: host.name, kind, services: names, reason });
    }
    // systemd and Nix services already need systemd as PID 1; only Compose tasks add a need.
    const scheduled = services.filter((s) => s.kind === "compose" && Object.keys(s.spec?.tasks ?? {}).length);
    const reason = scheduled.length ? missingTaskCapability(host.facts) : null;
    if (reason && !refusals.some((r) => r.host === host.name && r.kind === "compose"))
      refusals.push({
        host: host.name,
        kind: "compose",
        services: scheduled.map((s) => s.name),
        reason,
        what: "scheduled tasks",
      });
  }
  return refusals;
}

export function describeCapabilityRefusal(r: CapabilityRefusal): string {
  return `host ${r.host} cannot run ${r.what ?? `${r.kind} services`} (${r.services.join(", ")}): ${r.reason}`;
}

/** The refusals as one sentence for people: the first few, and how to get past them. */
export function capabilityProblem(workflow: string, refusals: readonly CapabilityRefusal[]): string | null {
  if (refusals.length === 0) return null;
  const listed = refusals.slice(0, 3).map(describeCapabilityRefusal).join("; ");
  return `${workflow} cannot run where it would be deployed: ${listed}${refusals.length > 3 ? "; ..." : ""}. Deploy to hosts that can run these services, or install what is missing there.`;
}

/** Throws UNPROCESSABLE (422) naming each host that cannot run a service kind of the workflow. */
export function assertHostCapabilities(
  workflow: string,
  hosts: readonly { name: string; facts: unknown }[],
  services: readonly { name: string; kind: ServiceKind; spec?: ServiceSpec }[],
): void {
  const refusals = findCapabilityRefusals(hosts, services);
  const problem = capabilityProblem(workflow, refusals);
  if (problem) throw unprocessable(problem, { capabilityRefusals: refusals });
}
