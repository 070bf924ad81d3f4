"use client";
// "Get started" on the overview: stays until the team's first deployment succeeds, each step a
// link to where it is done. Refreshes itself, so enrolling a host or a finished deploy shows.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Card } from "@/components/ui";
import { useTRPC } from "@/trpc/client";
import { getStartedSteps } from "./get-started-steps";

export function GetStarted() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const query = useQuery({
    ...trpc.overview.firstDeploy.queryOptions({ teamId: team.id }),
    refetchInterval: (q) => (q.state.data?.succeeded ? false : 5_000),
  });
  const steps = query.data ? getStartedSteps(query.data, team.slug) : null;
  if (!steps) return null;
  return (
    <section aria-labelledby="get-started-heading" className="mt-8">
      <Card className="p-6">
        <h2 id="get-started-heading" className="text-base font-semibold text-slate-900">
          Get started
        </h2>
        <ol className="mt-4 space-y-3 text-sm text-slate-700">
          {steps.map((step, i) => (
            <li key={step.title} className="flex gap-3" data-testid="get-started-step" data-done={step.done}>
              <span
                className={`flex h-6 w-6 shrink-0 items-center justify-center rounded-full text-xs font-semibold ${step.done ? "bg-emerald-100 text-emerald-700" : "bg-slate-100 text-slate-600"}`}
                aria-hidden
              >
                {step.done ? "✓" : i + 1}
              </span>
              <span>
                <Link href={step.href} className="font-medium text-sky-700 hover:underline">
                  {step.title}
                </Link>
                {step.done ? <span className="sr-only"> (done)</span> : null}
                <span className="block text-slate-600">{step.description}</span>
              </span>
            </li>
          ))}
        </ol>
      </Card>
    </section>
  );
}
