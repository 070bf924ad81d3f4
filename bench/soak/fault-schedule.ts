// The soak's fault schedule: a pure function of a seed, so a failing run can be replayed with
// `--seed`. Every kind happens at least once (a short CI run still covers all of them); the rest
// are drawn at random, about two faults a minute.

export type Fault =
  /** kill -9 of one agent process (its agents die mid-job), restarted a moment later. */
  | { kind: "agent-kill"; group: number }
  /** kill -9 of one real agent (and its children), started again over its state a moment later. */
  | { kind: "real-agent-kill"; agent: number }
  /** One control-plane replica stopped (SIGKILL) and started again on the same port. */
  | { kind: "replica-restart"; replica: number }
  /** PostgreSQL crashed (`pg_ctl stop -m immediate`) and started again. */
  | { kind: "postgres-restart" }
  /** The proxy in front of a replica stops forwarding for longer than the job lease. */
  | { kind: "partition"; replica: number; seconds: number }
  /** An agent process signs with a clock off by `skewSeconds` (inside the allowed window). */
  | { kind: "clock-skew"; group: number; skewSeconds: number; seconds: number }
  /** An agent process's work folder is full (a tiny tmpfs, or simulated ENOSPC). */
  | { kind: "disk-full"; group: number; seconds: number };

export type ScheduledFault = Fault & { atSeconds: number };

export const FAULT_KINDS = [
  "agent-kill",
  "real-agent-kill",
  "replica-restart",
  "postgres-restart",
  "partition",
  "clock-skew",
  "disk-full",
] as const satisfies readonly Fault["kind"][];

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ScheduleOptions {
  seed: number;
  /** Faults start at `fromSeconds` and the last one starts before `untilSeconds`. */
  fromSeconds: number;
  untilSeconds: number;
  groups: number;
  /** Real agents (real-agents.ts); none: no real-agent-kill. */
  realAgents: number;
  replicas: number;
  leaseSeconds: number;
  /** The verifier's allowed clock skew; skews stay inside two thirds of it. */
  allowedSkewSeconds: number;
}

export function planFaults(options: ScheduleOptions): ScheduledFault[] {
  const random = seededRandom(options.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const span = Math.max(1, options.untilSeconds - options.fromSeconds);
  const all = FAULT_KINDS.filter((k) => k !== "real-agent-kill" || options.realAgents > 0);
  const count = Math.max(all.length, Math.round((span / 60) * 2));
  const kinds: Fault["kind"][] = [...all];
  while (kinds.length < count) kinds.push(all[pick(all.length)]!);
  const make = (kind: Fault["kind"]): Fault => {
    switch (kind) {
      case "agent-kill":
        return { kind, group: pick(options.groups) };
      case "real-agent-kill":
        return { kind, agent: pick(options.realAgents) };
      case "replica-restart":
        return { kind, replica: pick(options.replicas) };
      case "postgres-restart":
        return { kind };
      case "partition":
        return { kind, replica: pick(options.replicas), seconds: options.leaseSeconds + 5 + pick(10) };
      case "clock-skew": {
        const limit = Math.floor((options.allowedSkewSeconds * 2) / 3);
        const magnitude = 1 + pick(limit);
        return {
          kind,
          group: pick(options.groups),
          skewSeconds: random() < 0.5 ? -magnitude : magnitude,
          seconds: 60,
        };
      }
      case "disk-full":
        return { kind, group: pick(options.groups), seconds: 30 };
    }
  };
  // Even slots with jitter: faults spread over the whole run instead of bunching by chance.
  const slot = span / count;
  const shuffled = kinds.map((k) => ({ k, order: random() })).sort((a, b) => a.order - b.order);
  return shuffled.map(({ k }, i) => ({
    ...make(k),
    atSeconds: Math.round(options.fromSeconds + slot * i + random() * slot * 0.5),
  }));
}

export function describeFault(fault: ScheduledFault): string {
  const { atSeconds, kind, ...rest } = fault;
  const detail = Object.entries(rest)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  return `t+${atSeconds}s ${kind}${detail ? ` ${detail}` : ""}`;
}
