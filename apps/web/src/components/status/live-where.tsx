"use client";
// What is live, where (core's getLiveWhere): one line per workflow ("r3 failed, r2 live on web-1")
// and, per host and service, the live revision with behind/failed/rolled-back marks. The workflow,
// host and overview pages show it; the text always sits next to the colour.
import type { LiveService, LiveTone, WorkflowLiveSummary } from "@capstan/core/deployments/get-live-where";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Badge, Card, ErrorNotice, Spinner, type Tone } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

const TONE: Record<LiveTone, Tone> = { live: "green", behind: "amber", failed: "red", none: "slate" };
const LABEL: Record<LiveTone, string> = {
  live: "Up to date",
  behind: "Behind",
  failed: "Failed",
  none: "Nothing live",
};

function LiveSummary({ summary }: { summary: WorkflowLiveSummary }) {
  return (
    <span className="inline-flex flex-wrap items-center gap-2" data-testid="live-summary">
      <Badge tone={TONE[summary.tone]}>{LABEL[summary.tone]}</Badge>
      <span className="text-sm text-slate-700">{summary.text}</span>
      {summary.failed?.rolledBack ? <Badge tone="violet">rolled back</Badge> : null}
    </span>
  );
}

function Revision({ s }: { s: LiveService }) {
  if (!s.live) return <span className="text-slate-400">nothing live</span>;
  const n = s.live.revisionNumber;
  return (
    <span className="inline-flex flex-wrap items-center gap-1.5">
      <span className="font-medium text-slate-900">{n === null ? "unknown revision" : `r${n}`}</span>
      {s.behind ? <Badge tone="amber">behind r{s.latestRevision}</Badge> : null}
      {s.failed && s.failed.revisionNumber !== n ? (
        <Badge tone="red">
          r{s.failed.revisionNumber} failed{s.failed.rolledBack ? ", rolled back" : ""}
        </Badge>
      ) : null}
    </span>
  );
}

/** Per host and service; `by` says which column the page already implies (its host or workflow). */
export function LiveWhere({ workflowId, hostId }: { workflowId?: string; hostId?: string }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const query = useQuery({
    ...trpc.deployments.liveWhere.queryOptions({ teamId: team.id, workflowId, hostId }),
    refetchInterval: 10_000,
  });
  if (query.isPending) return <Spinner label="Loading what is live" />;
  if (query.isError)
    return <ErrorNotice title="Could not load what is live" message={errorMessage(query.error)} />;
  const { services, workflows } = query.data;
  return (
    <section aria-labelledby="live-where-heading" className="space-y-3">
      <h2 id="live-where-heading" className="text-lg font-semibold text-slate-900">
        What is live, where
      </h2>
      {services.length === 0 ? (
        <p className="text-sm text-slate-500">Nothing deployed yet.</p>
      ) : (
        <Card>
          {workflowId ? (
            <div className="border-b border-slate-100 px-4 py-3">
              {workflows[0] ? <LiveSummary summary={workflows[0]} /> : null}
            </div>
          ) : null}
          <div className="overflow-x-auto">
            <table className="min-w-full text-sm">
              <thead className="bg-slate-50 text-left text-xs uppercase tracking-wide text-slate-500">
                <tr>
                  {workflowId ? null : <th className="px-4 py-2 font-medium">Workflow</th>}
                  <th className="px-4 py-2 font-medium">Service</th>
                  {hostId ? null : <th className="px-4 py-2 font-medium">Host</th>}
                  <th className="px-4 py-2 font-medium">Live</th>
                  <th className="px-4 py-2 font-medium">Latest</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {services.map((s) => (
                  <tr key={`${s.host.id}/${s.workflow.id}/${s.service}`} data-testid="live-row">
                    {workflowId ? null : (
                      <td className="px-4 py-2">
                        <Link
                          href={`/t/${team.slug}/workflows/${s.workflow.id}`}
                          className="text-sky-700 hover:underline"
                        >
                          {s.workflow.name}
                        </Link>
                      </td>
                    )}
                    <td className="px-4 py-2">{s.service}</td>
                    {hostId ? null : (
                      <td className="px-4 py-2">
                        <Link
                          href={`/t/${team.slug}/hosts/${s.host.id}`}
                          className="text-sky-700 hover:underline"
                        >
                          {s.host.name}
                        </Link>
                      </td>
                    )}
                    <td className="px-4 py-2">
                      <Revision s={s} />
                    </td>
                    <td className="px-4 py-2 text-slate-600">
                      {s.latestRevision === null ? "–" : `r${s.latestRevision}`}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Card>
      )}
    </section>
  );
}

/** The overview's list: one line per workflow. */
export function LiveWhereOverview() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const query = useQuery({
    ...trpc.deployments.liveWhere.queryOptions({ teamId: team.id }),
    refetchInterval: 15_000,
  });
  if (query.isPending) return <Spinner label="Loading what is live" />;
  if (query.isError)
    return <ErrorNotice title="Could not load what is live" message={errorMessage(query.error)} />;
  const { workflows } = query.data;
  return (
    <Card className="mt-8 p-4">
      <h2 className="mb-3 text-base font-semibold text-slate-900">What is live, where</h2>
      {workflows.length === 0 ? (
        <p className="text-sm text-slate-500">Nothing deployed yet.</p>
      ) : (
        <ul className="divide-y divide-slate-100">
          {workflows.map((w) => (
            <li key={w.workflow.id} className="flex flex-wrap items-center gap-3 py-2">
              <Link
                href={`/t/${team.slug}/workflows/${w.workflow.id}`}
                className="font-medium text-sky-700 hover:underline"
              >
                {w.workflow.name}
              </Link>
              <LiveSummary summary={w} />
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
