"use client";
// One deployment: summary, actions (cancel, roll back, redeploy), the per-host step timeline,
// the live log (SSE) and, once it has finished, the health each service reports.
import { hasRole } from "@capstan/core/rbac/roles";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useRef } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { ConfirmButton } from "@/components/status/dialog";
import { StatusBadge } from "@/components/status/status-badge";
import { Duration, formatAbsolute, RelativeTime } from "@/components/status/time";
import { LiveLog, useDeploymentEvents } from "@/components/timeline/live-log";
import { StepTimeline } from "@/components/timeline/step-timeline";
import { Button, Card, ErrorNotice, Spinner, Truncate } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import { useCanDeploy } from "../deploy-dialog";
import { ApprovalBanner } from "./approval-banner";
import { RolloutWaves } from "./rollout-waves";

export function DeploymentDetail({ deploymentId }: { deploymentId: string }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const router = useRouter();
  const queryClient = useQueryClient();
  const canDeploy = useCanDeploy();
  const input = { teamId: team.id, deploymentId };
  const query = useQuery(trpc.deployments.get.queryOptions(input));
  const queryKey = trpc.deployments.get.queryKey(input);

  // Step and status changes arrive on the stream; refetch the timeline at most every second.
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  const onProgress = useCallback(() => {
    if (pending.current) return;
    pending.current = setTimeout(() => {
      pending.current = null;
      void queryClient.invalidateQueries({ queryKey });
    }, 500);
  }, [queryClient, queryKey]);
  const stream = useDeploymentEvents(team.id, deploymentId, onProgress);

  const afterChange = async (id?: string) => {
    await queryClient.invalidateQueries({ queryKey: trpc.deployments.pathKey() });
    if (id) router.push(`/t/${team.slug}/deployments/${id}`);
  };
  const cancel = useMutation(trpc.deployments.cancel.mutationOptions({ onSuccess: () => afterChange() }));
  const rollback = useMutation(
    trpc.deployments.rollback.mutationOptions({ onSuccess: (r) => afterChange(r.id) }),
  );

  if (query.isPending) return <Spinner label="Loading deployment" />;
  if (query.isError)
    return (
      <ErrorNotice
        title={
          query.error.data?.code === "NOT_FOUND" ? "Deployment not found" : "Could not load this deployment"
        }
        message={errorMessage(query.error)}
        onRetry={query.error.data?.code === "NOT_FOUND" ? undefined : () => query.refetch()}
      />
    );
  const d = query.data;
  const actionError = cancel.error ?? rollback.error;

  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm text-slate-500">
        <Link href={`/t/${team.slug}/deployments`} className="hover:text-sky-700 hover:underline">
          Deployments
        </Link>{" "}
        / {d.id.slice(0, 8)}
      </nav>
      <ApprovalBanner deployment={d} />
      <div className="mb-6 flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
        <div>
          <h1 className="flex flex-wrap items-center gap-3 text-2xl font-semibold tracking-tight text-slate-900">
            {d.workflow.name} · revision {d.revision.number}
            <StatusBadge status={d.status} />
          </h1>
          <p className="mt-1 text-sm text-slate-600">
            {d.revision.message ?? "No revision message."}{" "}
            <span className="font-mono text-xs text-slate-400" title="Content hash">
              {d.revision.contentHash.slice(0, 12)}
            </span>
          </p>
        </div>
        {canDeploy ? (
          <div className="flex flex-wrap items-start gap-2">
            {!d.final ? (
              <ConfirmButton
                label="Cancel deployment"
                title="Cancel this deployment?"
                confirmLabel="Cancel deployment"
                variant="danger"
                pending={cancel.isPending}
                onConfirm={() => cancel.mutateAsync(input).catch(() => {})}
              >
                Queued jobs will not run. A host in the middle of a step stops it; that step's outcome shows
                as unknown until the agent reports what is running.
              </ConfirmButton>
            ) : null}
            {d.final && d.rollbackTarget?.refusal ? (
              <RefusedAction
                label={`Roll back to revision ${d.rollbackTarget.revisionNumber}`}
                reason={d.rollbackTarget.refusal}
              />
            ) : null}
            {d.final && d.rollbackTarget && !d.rollbackTarget.refusal ? (
              <ConfirmButton
                label={`Roll back to revision ${d.rollbackTarget.revisionNumber}`}
                title={`Roll back to revision ${d.rollbackTarget.revisionNumber}?`}
                confirmLabel="Roll back"
                pending={rollback.isPending}
                onConfirm={() =>
                  rollback
                    .mutateAsync({ teamId: team.id, deploymentId: d.rollbackTarget!.id })
                    .catch(() => {})
                }
              >
                Deploys revision {d.rollbackTarget.revisionNumber} of {d.workflow.name} again, to the hosts of
                its last successful deployment.
              </ConfirmButton>
            ) : null}
            {d.final && d.redeployRefusal ? (
              <RefusedAction label={`Redeploy revision ${d.revision.number}`} reason={d.redeployRefusal} />
            ) : null}
            {d.final && !d.redeployRefusal ? (
              <ConfirmButton
                label={`Redeploy revision ${d.revision.number}`}
                title={`Deploy revision ${d.revision.number} again?`}
                confirmLabel="Deploy"
                pending={rollback.isPending}
                onConfirm={() => rollback.mutateAsync(input).catch(() => {})}
              >
                Deploys revision {d.revision.number} of {d.workflow.name} again to the {d.hosts.length} host
                {d.hosts.length === 1 ? "" : "s"} of this deployment (revoked hosts are left out). Use this to
                roll back to this revision.
              </ConfirmButton>
            ) : null}
          </div>
        ) : null}
      </div>
      {actionError ? <ErrorNotice title="That did not work" message={errorMessage(actionError)} /> : null}
      {rollback.variables &&
      rollback.error?.message.includes("environment are frozen") &&
      hasRole(team.role, "ADMIN") ? (
        <Button
          variant="secondary"
          className="mb-6"
          disabled={rollback.isPending}
          onClick={() => rollback.mutate({ ...rollback.variables!, freezeOverride: true })}
        >
          Deploy anyway with a freeze override (audited)
        </Button>
      ) : null}

      <Card className="mb-6 p-4">
        <dl className="grid grid-cols-2 gap-4 text-sm lg:grid-cols-5">
          <Item label="Started by">{d.createdBy ?? "system"}</Item>
          <Item label="Created">
            <RelativeTime date={d.createdAt} />
          </Item>
          <Item label={d.final ? "Took" : "Running for"}>
            <Duration start={d.startedAt} end={d.finishedAt} />
          </Item>
          <Item label="Hosts">
            {d.jobs.succeeded}/{d.jobs.total} succeeded
            {d.jobs.failed ? `, ${d.jobs.failed} failed` : ""}
          </Item>
          <Item label={d.final ? "Finished" : "Deadline"}>
            {d.final && d.finishedAt ? formatAbsolute(d.finishedAt) : formatAbsolute(d.deadlineAt)}
          </Item>
        </dl>
        {d.rollbackOf ? (
          <p className="mt-3 text-sm text-violet-700">
            Rolls back{" "}
            <Link href={`/t/${team.slug}/deployments/${d.rollbackOf.id}`} className="underline">
              the deployment of revision {d.rollbackOf.revisionNumber}
            </Link>
            .
          </p>
        ) : null}
        {d.error ? <p className="mt-3 text-sm text-red-700">{d.error}</p> : null}
      </Card>

      {d.rollout && (d.rollout.waves.length > 1 || d.rollout.rollback) ? (
        <section aria-labelledby="rollout-heading" className="mb-8">
          <h2 id="rollout-heading" className="mb-3 text-base font-semibold text-slate-900">
            Rollout
          </h2>
          <Card className="p-4">
            <RolloutWaves
              plan={d.rollout}
              jobStates={new Map(d.hosts.map((h) => [h.id, h.state]))}
              teamSlug={team.slug}
            />
          </Card>
        </section>
      ) : null}

      <section aria-labelledby="timeline-heading" className="mb-8">
        <h2 id="timeline-heading" className="mb-3 text-base font-semibold text-slate-900">
          Timeline
        </h2>
        {d.hosts.length === 0 ? (
          <p className="text-sm text-slate-600">This deployment has no hosts.</p>
        ) : (
          <StepTimeline hosts={d.hosts} teamSlug={team.slug} currentWave={d.currentWave} />
        )}
      </section>

      <section aria-labelledby="log-heading" className="mb-8">
        <h2 id="log-heading" className="mb-3 text-base font-semibold text-slate-900">
          Log
        </h2>
        <LiveLog {...stream} />
      </section>

      <Listeners listeners={d.listeners} links={d.listenLinks} />

      {d.final ? (
        <section aria-labelledby="health-heading">
          <h2 id="health-heading" className="mb-3 text-base font-semibold text-slate-900">
            Health now
          </h2>
          <FinalHealth hosts={d.hosts} teamSlug={team.slug} />
        </section>
      ) : null}
    </>
  );
}

function Item({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="mt-1 truncate text-slate-900">{children}</dd>
    </div>
  );
}

function FinalHealth({
  hosts,
  teamSlug,
}: {
  hosts: Parameters<typeof StepTimeline>[0]["hosts"];
  teamSlug: string;
}) {
  const rows = hosts.flatMap((job) =>
    job.steps.map((step) => ({
      host: job.host,
      service: step.service,
      health: job.health.find((h) => h.service === step.service) ?? null,
    })),
  );
  return (
    <Card>
      <div className="overflow-x-auto">
        <table className="min-w-full text-sm">
          <thead className="bg-slate-50 text-left text-xs uppercase tracking-wide text-slate-500">
            <tr>
              <th className="px-4 py-2 font-medium">Host</th>
              <th className="px-4 py-2 font-medium">Service</th>
              <th className="px-4 py-2 font-medium">Health</th>
              <th className="px-4 py-2 font-medium">Revision</th>
              <th className="px-4 py-2 font-medium">Reported</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {rows.map((r) => (
              <tr key={`${r.host.id}/${r.service}`}>
                <td className="px-4 py-2">
                  <Link href={`/t/${teamSlug}/hosts/${r.host.id}`} className="text-sky-700 hover:underline">
                    {r.host.name}
                  </Link>
                </td>
                <td className="px-4 py-2">{r.service}</td>
                <td className="px-4 py-2">
                  {r.health ? (
                    <StatusBadge status={r.health.status} />
                  ) : (
                    <span className="text-slate-400">no report</span>
                  )}
                  {r.health?.detail ? (
                    <Truncate text={r.health.detail} className="max-w-xs text-xs text-slate-500" />
                  ) : null}
                </td>
                <td className="px-4 py-2 text-xs text-slate-600">
                  {r.health ? <ReportedRevision health={r.health} /> : "–"}
                </td>
                <td className="px-4 py-2 text-xs text-slate-600">
                  <RelativeTime date={r.health?.updatedAt} fallback="–" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}

/** A rollback or redeploy that would change nothing: shown disabled, with the reason. */
function RefusedAction({ label, reason }: { label: string; reason: string }) {
  return (
    <span className="inline-flex flex-col items-start gap-1" title={reason}>
      <button
        type="button"
        disabled
        className="cursor-not-allowed rounded-md border border-slate-200 bg-slate-50 px-4 py-2 text-sm font-medium text-slate-400"
      >
        {label}
      </button>
      <span className="max-w-xs text-xs text-slate-500">{reason}</span>
    </span>
  );
}

/** "reported for r2", and whether a deploy or rollback since then awaits the next heartbeat. */
function ReportedRevision({
  health,
}: {
  health: { onThisRevision: boolean; revisionNumber: number | null; waitingForHeartbeat: boolean };
}) {
  const named = health.revisionNumber === null ? "an unknown revision" : `r${health.revisionNumber}`;
  return (
    <span className="inline-flex flex-wrap items-center gap-1.5">
      <span>
        reported for {named}
        {health.onThisRevision ? " (this revision)" : ""}
      </span>
      {health.waitingForHeartbeat ? (
        <span className="rounded-full bg-amber-50 px-2 py-0.5 text-amber-800 ring-1 ring-inset ring-amber-600/20">
          changed since: waiting for the next heartbeat
        </span>
      ) : null}
    </span>
  );
}

function Listeners({
  listeners,
  links,
}: {
  listeners: { service: string; ports: string[]; domains: string[]; note: string | null }[];
  links: { service: string; host: string | null; url: string; loopback: boolean }[];
}) {
  if (listeners.length === 0) return null;
  return (
    <section aria-labelledby="listeners-heading" className="mb-8">
      <h2 id="listeners-heading" className="mb-3 text-base font-semibold text-slate-900">
        Where it listens
      </h2>
      <Card className="p-4">
        <dl className="space-y-2 text-sm">
          {listeners.map((l) => (
            <div key={l.service} className="flex flex-wrap gap-x-3">
              <dt className="font-medium text-slate-900">{l.service}</dt>
              <dd className="text-slate-700">
                {l.ports.length ? l.ports.join(", ") : (l.note ?? "no published ports")}
                {l.domains.length ? <span className="ml-3">domains: {l.domains.join(", ")}</span> : null}
              </dd>
              {links
                .filter((link) => link.service === l.service)
                .map((link) => (
                  <dd key={link.url} className="basis-full">
                    {/* Built from validated addresses only (core listen-links.ts): http(s) to that address. */}
                    <a
                      href={link.url}
                      target="_blank"
                      rel="noopener noreferrer"
                      className="break-all font-mono text-sky-700 hover:underline"
                    >
                      {link.url}
                    </a>
                    <span className="ml-2 text-xs text-slate-500">
                      {link.host ? `on ${link.host}` : null}
                      {link.loopback ? " · loopback: opens from that host's own browser" : null}
                    </span>
                  </dd>
                ))}
            </div>
          ))}
        </dl>
      </Card>
    </section>
  );
}
