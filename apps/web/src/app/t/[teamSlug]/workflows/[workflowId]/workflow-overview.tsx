"use client";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { DomainsPanel } from "@/components/hosts/domains-panel";
import { LiveWhere } from "@/components/status/live-where";
import { RelativeTime } from "@/components/status/time";
import { Badge, Button, Card, EmptyState, ErrorNotice, LoadMore, Notice, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import { DeployButton } from "../../deployments/deploy-dialog";
import { DeploymentList } from "../../deployments/deployment-list";
import { type WorkflowDetail, WorkflowFrame } from "../workflow-frame";
import { PushToDeploy } from "./push-to-deploy";
import { RevisionDiff } from "./revision-diff";
import { SourceSection } from "./source-section";
import { TasksPanel } from "./tasks-panel";

function exportHref(teamId: string, workflowId: string, revision?: number) {
  const params = new URLSearchParams({ teamId });
  if (revision) params.set("revision", String(revision));
  return `/api/workflows/${workflowId}/export?${params}`;
}

export function WorkflowOverview({ workflowId, justCreated }: { workflowId: string; justCreated?: boolean }) {
  const team = useCurrentTeam();
  return (
    <WorkflowFrame
      workflowId={workflowId}
      actions={(w) => (
        <>
          <a
            href={exportHref(team.id, w.id)}
            className="inline-flex items-center rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-800 shadow-sm hover:bg-slate-50"
            download
          >
            Export .tar.gz
          </a>
          {w.latestRevision ? <DeployButton revisionId={w.latestRevision.id} label="Deploy latest" /> : null}
        </>
      )}
    >
      {(w) => (
        <div className="space-y-8">
          {justCreated && w.latestRevision ? (
            <Notice tone="ok">
              Workflow created as revision {w.latestRevision.number}.{" "}
              <DeployButton revisionId={w.latestRevision.id} workflowId={w.id} label="Deploy now" />
            </Notice>
          ) : null}
          <Summary workflow={w} />
          <LiveWhere workflowId={w.id} />
          <SourceSection workflow={w} />
          <History workflow={w} />
          <section aria-labelledby="deployments-title" className="space-y-3">
            <h2 id="deployments-title" className="text-lg font-semibold text-slate-900">
              Deployments
            </h2>
            <DeploymentList
              workflowId={w.id}
              live
              empty={<p className="text-sm text-slate-500">This workflow has not been deployed yet.</p>}
            />
          </section>
          <DomainsPanel workflowId={w.id} />
          <TasksPanel workflowId={w.id} />
          <PushToDeploy workflowId={w.id} />
        </div>
      )}
    </WorkflowFrame>
  );
}

function Summary({ workflow }: { workflow: WorkflowDetail }) {
  const spec = workflow.latestRevision?.spec;
  if (!spec) return null;
  const targets = [
    ...(spec.targets.hosts ?? []).map((h) => `host ${h}`),
    ...Object.entries(spec.targets.selector ?? {}).map(([k, v]) => `${k}=${v}`),
  ];
  return (
    <section aria-labelledby="summary-title" className="grid gap-4 lg:grid-cols-3">
      <h2 id="summary-title" className="sr-only">
        Summary
      </h2>
      <Card className="p-4 lg:col-span-2">
        <h3 className="mb-3 text-sm font-semibold text-slate-900">Services (in deploy order)</h3>
        <ul className="divide-y divide-slate-100 text-sm">
          {workflow.services.map((s) => (
            <li key={s.name} className="flex flex-wrap items-center gap-2 py-2">
              <span className="font-mono font-medium">{s.name}</span>
              <Badge tone={s.kind === "compose" ? "blue" : "violet"}>{s.kind}</Badge>
              {s.dependsOn.length > 0 ? (
                <span className="text-slate-500">after {s.dependsOn.join(", ")}</span>
              ) : null}
              {s.secrets.length > 0 ? (
                <span className="text-slate-500">secrets: {s.secrets.join(", ")}</span>
              ) : null}
            </li>
          ))}
        </ul>
      </Card>
      <Card className="space-y-2 p-4 text-sm">
        <h3 className="font-semibold text-slate-900">Targets and rollout</h3>
        <p>{targets.join(", ") || "none"}</p>
        <p className="text-slate-600">
          {String(spec.rollout.batchSize)} host(s) at a time ·{" "}
          {spec.rollout.autoRollback ? "rolls back failed hosts" : "no automatic rollback"}
        </p>
        <p className="text-slate-600">
          Secrets declared:{" "}
          {workflow.declaredSecrets.length > 0 ? workflow.declaredSecrets.join(", ") : "none"}
        </p>
      </Card>
    </section>
  );
}

function History({ workflow }: { workflow: WorkflowDetail }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const latest = workflow.latestRevision?.number ?? 1;
  const [from, setFrom] = useState(Math.max(1, latest - 1));
  const [to, setTo] = useState(latest);
  const [compare, setCompare] = useState<{ from: number; to: number } | null>(null);
  const query = useInfiniteQuery(
    trpc.workflows.revisions.infiniteQueryOptions(
      { teamId: team.id, workflowId: workflow.id, limit: 20 },
      { getNextPageParam: (page) => page.nextCursor },
    ),
  );
  const revisions = query.data?.pages.flatMap((p) => p.items) ?? [];
  const numbers = Array.from({ length: latest }, (_, i) => latest - i);

  return (
    <section aria-labelledby="history-title" className="space-y-4">
      <h2 id="history-title" className="text-lg font-semibold text-slate-900">
        Revision history
      </h2>
      {latest > 1 ? (
        <Card className="flex flex-wrap items-end gap-3 p-4 text-sm">
          <RevisionSelect
            caption="Compare"
            label="Older revision"
            numbers={numbers}
            value={from}
            onChange={setFrom}
          />
          <RevisionSelect
            caption="with"
            label="Newer revision"
            numbers={numbers}
            value={to}
            onChange={setTo}
          />
          <Button type="button" variant="secondary" onClick={() => setCompare({ from, to })}>
            Show diff
          </Button>
        </Card>
      ) : null}
      {compare ? <RevisionDiff workflowId={workflow.id} from={compare.from} to={compare.to} /> : null}
      {query.isPending ? <Spinner label="Loading revisions" /> : null}
      {query.isError ? (
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      ) : null}
      {query.isSuccess && revisions.length === 0 ? <EmptyState title="No revisions" /> : null}
      {revisions.length > 0 ? (
        <Card>
          <ol className="divide-y divide-slate-100">
            {revisions.map((r) => (
              <li key={r.id} className="flex flex-col gap-2 px-4 py-3 text-sm sm:flex-row sm:items-center">
                <div className="min-w-0 flex-1">
                  <span className="font-mono font-semibold">r{r.number}</span>{" "}
                  <span className="text-slate-700">
                    {r.message ?? <em className="text-slate-400">no message</em>}
                  </span>
                  <div className="text-xs text-slate-500">
                    {r.author?.email ?? "unknown"} · <RelativeTime date={r.createdAt} /> ·{" "}
                    <span className="font-mono" title={r.contentHash}>
                      {r.contentHash.slice(0, 12)}
                    </span>
                  </div>
                </div>
                <div className="flex flex-wrap gap-2">
                  {r.number > 1 ? (
                    <Button
                      type="button"
                      variant="secondary"
                      onClick={() => setCompare({ from: r.number - 1, to: r.number })}
                    >
                      Changes
                    </Button>
                  ) : null}
                  <a
                    href={exportHref(team.id, workflow.id, r.number)}
                    download
                    className="inline-flex items-center rounded-md border border-slate-300 bg-white px-3 py-2 font-medium text-slate-800 hover:bg-slate-50"
                  >
                    Export
                  </a>
                  <DeployButton revisionId={r.id} label="Deploy this revision" variant="secondary" />
                </div>
              </li>
            ))}
          </ol>
        </Card>
      ) : null}
      <LoadMore query={query} label="Older revisions" spaced={false} />
    </section>
  );
}

function RevisionSelect(props: {
  caption: string;
  label: string;
  numbers: number[];
  value: number;
  onChange: (n: number) => void;
}) {
  return (
    <label className="flex flex-col gap-1">
      <span className="font-medium text-slate-700">{props.caption}</span>
      <select
        value={props.value}
        onChange={(e) => props.onChange(Number(e.target.value))}
        className="rounded-md border border-slate-300 px-2 py-1.5"
        aria-label={props.label}
      >
        {props.numbers.map((n) => (
          <option key={n} value={n}>
            r{n}
          </option>
        ))}
      </select>
    </label>
  );
}
