// The rollout at a glance: one row per wave with a chip per host coloured by its outcome, then
// the auto-rollback row when one ran. Live job states win over the plan's snapshot.
import type { RolloutPlan } from "@capstan/core/rollouts/rollout-plan";
import { clsx } from "clsx";
import Link from "next/link";

const CHIP: Record<string, string> = {
  SUCCEEDED: "border-green-300 bg-green-50 text-green-800",
  FAILED: "border-red-300 bg-red-50 text-red-800",
  UNKNOWN: "border-amber-300 bg-amber-50 text-amber-800",
  RUNNING: "border-sky-300 bg-sky-50 text-sky-800",
};
const QUIET = "border-slate-200 bg-slate-50 text-slate-600";

interface Chip {
  id: string;
  name: string;
  outcome: string;
}

function HostChips({ hosts, teamSlug }: { hosts: Chip[]; teamSlug: string }) {
  return (
    <ul className="flex flex-wrap gap-2">
      {hosts.map((h) => (
        <li key={h.id}>
          <Link
            href={`/t/${teamSlug}/hosts/${h.id}`}
            className={clsx(
              "inline-flex items-center gap-1 rounded border px-2 py-0.5 text-xs",
              CHIP[h.outcome] ?? QUIET,
            )}
          >
            {h.name}
            <span className="opacity-75">{h.outcome.toLowerCase()}</span>
          </Link>
        </li>
      ))}
    </ul>
  );
}

export function RolloutWaves({
  plan,
  jobStates,
  teamSlug,
}: {
  plan: RolloutPlan;
  /** Job id -> state now. */
  jobStates: Map<string, string>;
  teamSlug: string;
}) {
  const live = (jobId: string | null, outcome: string) =>
    jobId ? (jobStates.get(jobId) ?? outcome) : outcome;
  const batch = plan.rollout.batchSize;
  return (
    <div className="space-y-2 text-sm">
      <p className="text-xs text-slate-500">
        {plan.waves.length} wave{plan.waves.length === 1 ? "" : "s"} of {batch}
        {typeof batch === "number" ? ` host${batch === 1 ? "" : "s"}` : " of the hosts"}, auto-rollback{" "}
        {plan.rollout.autoRollback ? "on" : "off"}
      </p>
      <ol className="space-y-2">
        {plan.waves.map((wave) => (
          <li key={wave.index} className="flex flex-col gap-1 sm:flex-row sm:items-center sm:gap-3">
            <span
              className={clsx(
                "w-20 shrink-0 text-xs font-medium",
                plan.phase === "rolling" && plan.currentWave === wave.index
                  ? "text-sky-700"
                  : "text-slate-500",
              )}
            >
              Wave {wave.index + 1}
            </span>
            <HostChips
              teamSlug={teamSlug}
              hosts={wave.hosts.map((h) => ({ id: h.id, name: h.name, outcome: live(h.jobId, h.outcome) }))}
            />
          </li>
        ))}
        {plan.rollback ? (
          <li className="flex flex-col gap-1 sm:flex-row sm:items-center sm:gap-3">
            <span className="w-20 shrink-0 text-xs font-medium text-violet-700">Rollback</span>
            <HostChips
              teamSlug={teamSlug}
              hosts={plan.rollback.hosts.map((h) => ({
                id: h.id,
                name: h.revisionNumber === null ? h.name : `${h.name} → rev ${h.revisionNumber}`,
                outcome: live(h.jobId, h.outcome),
              }))}
            />
          </li>
        ) : null}
      </ol>
    </div>
  );
}
