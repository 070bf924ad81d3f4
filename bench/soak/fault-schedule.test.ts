import { describe, expect, it } from "vitest";
import { FAULT_KINDS, planFaults } from "./fault-schedule";

const options = {
  seed: 42,
  fromSeconds: 15,
  untilSeconds: 200,
  groups: 10,
  realAgents: 2,
  replicas: 2,
  leaseSeconds: 20,
  allowedSkewSeconds: 30,
};

describe("soak fault schedule", () => {
  it("is the same for the same seed and differs for another", () => {
    expect(planFaults(options)).toEqual(planFaults(options));
    expect(planFaults({ ...options, seed: 43 })).not.toEqual(planFaults(options));
  });

  it("covers every kind inside the window, partitions outlast the lease, skews stay allowed", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const faults = planFaults({ ...options, seed });
      expect(new Set(faults.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
      for (const f of faults) {
        expect(f.atSeconds).toBeGreaterThanOrEqual(options.fromSeconds);
        expect(f.atSeconds).toBeLessThan(options.untilSeconds);
        if (f.kind === "partition") expect(f.seconds).toBeGreaterThan(options.leaseSeconds);
        if (f.kind === "clock-skew") expect(Math.abs(f.skewSeconds)).toBeLessThan(options.allowedSkewSeconds);
        if ("group" in f) expect(f.group).toBeLessThan(options.groups);
        if ("agent" in f) expect(f.agent).toBeLessThan(options.realAgents);
      }
    }
  });

  it("kills no real agent when there is none", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const kinds = new Set(
        planFaults({ ...options, seed, realAgents: 0, untilSeconds: 3600 }).map((f) => f.kind),
      );
      expect(kinds).toEqual(new Set(FAULT_KINDS.filter((k) => k !== "real-agent-kill")));
    }
  });

  it("plans about two faults a minute on long runs", () => {
    expect(planFaults({ ...options, untilSeconds: 3600 }).length).toBe(Math.round(((3600 - 15) / 60) * 2));
  });
});
