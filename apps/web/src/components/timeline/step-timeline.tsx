"use client";
// The per-host, per-service step timeline of a deployment: one row per host (its job), the
// services in dependsOn order as connected steps with state, duration and the agent's message.
import type { inferRouterOutputs } from "@trpc/server";
import { clsx } from "clsx";
import Link from "next/link";
import type { AppRouter } from "@/server/trpc/root";
import { StatusBadge, StatusDot } from "../status/status-badge";
import { Duration, RelativeTime } from "../status/time";

type DeploymentDetail = inferRouterOutputs<AppRouter>["deployments"]["get"];
export type TimelineHost = DeploymentDetail["hosts"][number];

export function StepTimeline({
  hosts,
  teamSlug,
  currentWave = null,
}: {
  hosts: TimelineHost[];
  teamSlug: string;
  currentWave?: number | null;
}) {
  const waves = new Set(hosts.map((h) => h.wave)).size;
  return (
    <ol className="space-y-3" aria-label="Per-host timeline">
      {hosts.map((job) => (
        <li
          key={job.id}
          className="rounded-lg border border-slate-200 bg-white p-4"
          data-testid="timeline-host"
        >
          <div className="flex flex-wrap items-center justify-between gap-2">
            <div className="flex min-w-0 items-center gap-2">
              <Link
                href={`/t/${teamSlug}/hosts/${job.host.id}`}
                className="truncate font-medium text-slate-900 hover:text-sky-700 hover:underline"
              >
                {job.host.name}
              </Link>
              <StatusBadge status={job.state} />
              {waves > 1 ? <span className="text-xs text-slate-500">wave {job.wave + 1}</span> : null}
              {job.host.status !== "ONLINE" ? (
                <span className="text-xs text-slate-500">host {job.host.status.toLowerCase()}</span>
              ) : null}
            </div>
            <div className="text-xs text-slate-500">
              {job.claimedAt ? (
                <>
                  started <RelativeTime date={job.claimedAt} /> ·{" "}
                  <Duration start={job.claimedAt} end={job.finishedAt} />
                </>
              ) : job.state === "QUEUED" && currentWave !== null && job.wave > currentWave ? (
                "waits for the earlier waves to succeed"
              ) : job.state === "QUEUED" ? (
                <>
                  waiting for the agent since <RelativeTime date={job.createdAt} />
                </>
              ) : null}
              {job.attempt > 1 ? ` · attempt ${job.attempt}` : null}
            </div>
          </div>
          {job.error ? <p className="mt-2 text-sm text-red-700">{job.error}</p> : null}
          <ol className="mt-3 flex flex-col gap-2 sm:flex-row sm:flex-wrap sm:items-stretch">
            {job.steps.map((step, index) => (
              <li key={step.service} className="flex items-stretch gap-2 sm:min-w-[11rem] sm:flex-1">
                {index > 0 ? (
                  <span aria-hidden className="hidden self-center text-slate-300 sm:inline">
                    →
                  </span>
                ) : null}
                <div
                  className={clsx(
                    "flex-1 rounded-md border px-3 py-2 text-sm",
                    step.state === "FAILED" && "border-red-200 bg-red-50",
                    step.state === "SUCCEEDED" && "border-emerald-200 bg-emerald-50/50",
                    step.state === "RUNNING" && "border-sky-200 bg-sky-50",
                    step.state === "UNKNOWN" && "border-amber-200 bg-amber-50",
                    !["FAILED", "SUCCEEDED", "RUNNING", "UNKNOWN"].includes(step.state) && "border-slate-200",
                  )}
                  data-testid="timeline-step"
                  data-state={step.state}
                >
                  <div className="flex items-center justify-between gap-2">
                    <span className="flex min-w-0 items-center gap-2 font-medium text-slate-800">
                      <StatusDot status={step.state} />
                      <span className="truncate">{step.service}</span>
                    </span>
                    <span className="text-xs text-slate-500">{step.kind}</span>
                  </div>
                  <div className="mt-1 flex items-center justify-between gap-2 text-xs text-slate-600">
                    <span>{step.state.toLowerCase()}</span>
                    {step.startedAt ? <Duration start={step.startedAt} end={step.finishedAt} /> : null}
                  </div>
                  {step.message && step.message !== step.state ? (
                    <p className="mt-1 break-words text-xs text-slate-600">{step.message}</p>
                  ) : null}
                </div>
              </li>
            ))}
          </ol>
        </li>
      ))}
    </ol>
  );
}
