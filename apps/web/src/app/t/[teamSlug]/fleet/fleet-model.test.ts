import { describe, expect, it } from "vitest";
import {
  agentVersionBadge,
  canUpgradeRow,
  FAST_REFETCH_MS,
  type FleetHost,
  type FleetView,
  outdatedHosts,
  refetchInterval,
  releaseFormats,
  SLOW_REFETCH_MS,
  versionLabel,
  versionTone,
} from "./fleet-model";

function host(over: Partial<FleetHost>): FleetHost {
  return {
    id: over.name ?? "h",
    name: "h",
    status: "ONLINE",
    agentVersion: "0.1.0",
    arch: "x64",
    lastSeenAt: new Date(),
    upToDate: false,
    upgrade: null,
    ...over,
  };
}

function upgrade(status: NonNullable<FleetHost["upgrade"]>["status"]): FleetHost["upgrade"] {
  return {
    id: "u",
    status,
    fromVersion: "0.1.0",
    toVersion: "0.2.0",
    detail: null,
    deadlineSeconds: 120,
    createdAt: new Date(),
    sentAt: null,
    finishedAt: null,
  };
}

function view(hosts: FleetHost[]): FleetView {
  return { release: { version: "0.2.0", executables: ["linux-x64"], bundle: true }, hosts, versions: [] };
}

describe("fleet page helpers", () => {
  it("polls fast only while an upgrade is pending or in progress", () => {
    expect(refetchInterval(undefined)).toBe(SLOW_REFETCH_MS);
    expect(refetchInterval(view([host({ upgrade: upgrade("SUCCEEDED") })]))).toBe(SLOW_REFETCH_MS);
    expect(refetchInterval(view([host({ upgrade: upgrade("PENDING") })]))).toBe(FAST_REFETCH_MS);
    expect(refetchInterval(view([host({ upgrade: upgrade("IN_PROGRESS") })]))).toBe(FAST_REFETCH_MS);
  });

  it("counts outdated hosts without an upgrade under way, offline ones included", () => {
    const hosts = [
      host({ name: "a" }),
      host({ name: "b", status: "OFFLINE" }),
      host({ name: "c", upgrade: upgrade("PENDING") }),
      host({ name: "d", upgrade: upgrade("ROLLED_BACK") }),
      host({ name: "e", upToDate: true }),
      host({ name: "f", upToDate: null, agentVersion: null, status: "PENDING" }),
    ];
    expect(outdatedHosts(view(hosts)).map((h) => h.name)).toEqual(["a", "b", "d"]);
    expect(hosts.filter(canUpgradeRow).map((h) => h.name)).toEqual(["a", "d"]);
  });

  it("labels versions and hosts", () => {
    expect(versionLabel({ version: "0.2.0", hosts: 3, current: true })).toBe("0.2.0 (current) · 3 hosts");
    expect(versionLabel({ version: "0.0.1-old", hosts: 2, current: false })).toBe("0.0.1-old · 2 hosts");
    expect(versionLabel({ version: null, hosts: 1, current: false })).toBe("unknown · 1 host");
    expect(versionTone({ version: "0.2.0", current: true })).toBe("green");
    expect(versionTone({ version: "0.1.0", current: false })).toBe("amber");
    expect(versionTone({ version: null, current: false })).toBe("slate");
    expect(agentVersionBadge(host({ upToDate: null })).label).toBe("unknown");
    expect(agentVersionBadge(host({ upToDate: true })).label).toBe("current");
    expect(releaseFormats({ version: "1", executables: ["linux-x64"], bundle: true })).toEqual([
      "linux-x64 executable",
      "JS bundle",
    ]);
  });
});
