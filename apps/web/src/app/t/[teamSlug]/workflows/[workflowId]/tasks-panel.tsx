"use client";
// The workflow's scheduled tasks (`tasks:` of its services) as the hosts' agents report them:
// schedule, next run, and the newest runs with their duration, result and exit code.
import { useQuery } from "@tanstack/react-query";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { RelativeTime } from "@/components/status/time";
import { Badge, Card, ErrorNotice, Spinner, type Tone } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

interface Run {
  startedAt: string;
  exitCode: number | null;
  result: string;
  durationMs: number;
}

function outcome(run: Run): { tone: Tone; text: string } {
  if (run.result === "success") return { tone: "green", text: "exit 0" };
  if (run.exitCode !== null && run.result === "exit-code")
    return { tone: "red", text: `exit ${run.exitCode}` };
  return { tone: "red", text: run.result };
}

function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return s < 120 ? `${s.toFixed(s < 10 ? 1 : 0)} s` : `${Math.round(s / 60)} min`;
}

export function TasksPanel({ workflowId }: { workflowId: string }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const tasks = useQuery({
    ...trpc.tasks.list.queryOptions({ teamId: team.id, workflowId }),
    refetchInterval: 15_000,
  });
  if (tasks.isPending) return <Spinner label="Loading tasks" />;
  if (tasks.isError)
    return <ErrorNotice message={errorMessage(tasks.error)} onRetry={() => tasks.refetch()} />;
  // Workflows without tasks show nothing: the section would only be noise.
  if (tasks.data.length === 0) return null;
  return (
    <section aria-labelledby="tasks-title" className="space-y-3">
      <h2 id="tasks-title" className="text-lg font-semibold text-slate-900">
        Scheduled tasks
      </h2>
      <Card>
        <ul className="divide-y divide-slate-100">
          {tasks.data.map((t) => {
            const last = t.runs[0];
            return (
              <li
                key={`${t.host.id}/${t.service}/${t.task}`}
                className="space-y-2 px-4 py-3 text-sm"
                data-testid="task-row"
              >
                <div className="flex flex-wrap items-center gap-2">
                  <span className="font-mono font-medium">
                    {t.service}/{t.task}
                  </span>
                  <span className="text-slate-500">on {t.host.name}</span>
                  <code className="rounded bg-slate-100 px-1.5 py-0.5 text-xs">{t.schedule}</code>
                  {t.running ? <Badge tone="blue">running</Badge> : null}
                  {last ? <Badge tone={outcome(last).tone}>last: {outcome(last).text}</Badge> : null}
                  {t.notifyOnFailure ? <Badge tone="violet">webhook on failure</Badge> : null}
                  <span className="text-slate-500">
                    next{" "}
                    <RelativeTime
                      date={t.nextRunAt ? new Date(t.nextRunAt) : null}
                      fallback="not scheduled"
                    />
                  </span>
                </div>
                {t.runs.length > 0 ? (
                  <ol
                    className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600"
                    aria-label="Recent runs"
                  >
                    {t.runs.map((r) => (
                      <li key={r.startedAt} className="flex items-center gap-1">
                        <span
                          className={outcome(r).tone === "green" ? "text-emerald-700" : "text-red-700"}
                          title={r.result}
                        >
                          {outcome(r).text}
                        </span>
                        <RelativeTime date={new Date(r.startedAt)} />
                        <span>({duration(r.durationMs)})</span>
                      </li>
                    ))}
                  </ol>
                ) : (
                  <p className="text-xs text-slate-500">No run yet.</p>
                )}
              </li>
            );
          })}
        </ul>
      </Card>
    </section>
  );
}
