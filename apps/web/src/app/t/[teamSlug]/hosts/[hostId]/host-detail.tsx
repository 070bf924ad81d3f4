"use client";
// One host: facts, labels, the services it runs with their health over time, its deployments,
// its policy, and revoke (admins).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type ReactNode, useState } from "react";
import { HealthChart } from "@/components/charts/health-chart";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { DomainsPanel } from "@/components/hosts/domains-panel";
import { ConfirmButton } from "@/components/status/dialog";
import { LiveWhere } from "@/components/status/live-where";
import { StatusBadge } from "@/components/status/status-badge";
import { formatAbsolute, RelativeTime } from "@/components/status/time";
import { Button, Card, ErrorNotice, Field, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { formatSize } from "@/lib/format-size";
import { useTRPC } from "@/trpc/client";
import { DeploymentList } from "../../deployments/deployment-list";
import { formatLabels, parseLabels } from "../install-command";
import { HostPolicy } from "./host-policy";
import { HousekeepingPanel } from "./housekeeping-panel";
import { LiveLogs } from "./live-logs";
import { ServiceInventory, UsageHistory } from "./service-inventory";
import { UnmanagedList } from "./unmanaged-list";

function bytes(n: unknown): string | null {
  return typeof n === "number" ? formatSize(n) : null;
}

function text(v: unknown): string | null {
  return v === undefined || v === null || v === "" ? null : String(v);
}

export function HostDetail({ hostId }: { hostId: string }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const isAdmin = team.role === "OWNER" || team.role === "ADMIN";
  const canDeploy = isAdmin || team.role === "DEPLOYER";
  const query = useQuery({
    ...trpc.hosts.get.queryOptions({ teamId: team.id, hostId }),
    refetchInterval: 15_000,
  });
  const approve = useMutation(
    trpc.hosts.approve.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.hosts.pathKey() }),
    }),
  );
  const revoke = useMutation(
    trpc.hosts.revoke.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.hosts.pathKey() }),
    }),
  );

  if (query.isPending) return <Spinner label="Loading host" />;
  if (query.isError)
    return (
      <ErrorNotice
        title={query.error.data?.code === "NOT_FOUND" ? "Host not found" : "Could not load this host"}
        message={errorMessage(query.error)}
        onRetry={query.error.data?.code === "NOT_FOUND" ? undefined : () => query.refetch()}
      />
    );
  const host = query.data;
  const facts = host.facts;
  const factRows: [string, string | null][] = [
    ["OS", text(facts.os)],
    ["Kernel", text(facts.kernel)],
    ["Architecture", text(facts.arch)],
    ["CPUs", text(facts.cpus)],
    ["Memory", bytes(facts.memoryBytes)],
    ["Disk", bytes(facts.diskBytes)],
    ["Docker", text(facts.dockerVersion)],
    ["Compose", text(facts.composeVersion)],
    ["systemd", text(facts.systemdVersion)],
    ["Agent", host.agentVersion],
  ];

  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm text-slate-500">
        <Link href={`/t/${team.slug}/hosts`} className="hover:text-sky-700 hover:underline">
          Hosts
        </Link>{" "}
        / {host.name}
      </nav>
      <div className="mb-6 flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
        <div>
          <h1 className="flex flex-wrap items-center gap-3 text-2xl font-semibold tracking-tight text-slate-900">
            {host.name}
            <StatusBadge status={host.status} />
          </h1>
          <p className="mt-1 text-sm text-slate-600">
            Last seen <RelativeTime date={host.lastSeenAt} /> · enrolled {formatAbsolute(host.enrolledAt)} ·
            key <span className="font-mono text-xs">{host.keyFingerprint}</span>
          </p>
        </div>
        {isAdmin && host.status !== "REVOKED" ? (
          <ConfirmButton
            label="Revoke host"
            title={`Revoke ${host.name}?`}
            confirmLabel="Revoke"
            variant="danger"
            pending={revoke.isPending}
            onConfirm={() => revoke.mutateAsync({ teamId: team.id, hostId }).catch(() => {})}
          >
            The agent's next request is refused and its queued and running jobs are cancelled. Services
            already running on the server keep running. To use the server again, enroll it with a new token.
          </ConfirmButton>
        ) : null}
      </div>
      {revoke.isError ? <ErrorNotice title="Not revoked" message={errorMessage(revoke.error)} /> : null}
      {host.awaitingApproval && host.status !== "REVOKED" ? (
        <div
          role="status"
          className="mb-6 flex flex-col gap-3 rounded-md border border-amber-200 bg-amber-50 p-4 text-sm text-amber-900 sm:flex-row sm:items-center sm:justify-between"
        >
          <p>
            Awaiting approval: this host gets no jobs yet. Check that its key fingerprint{" "}
            <span className="font-mono text-xs">{host.keyFingerprint}</span> matches{" "}
            <code>capstan-agent status</code> on the server, and that the facts below are that server's.
          </p>
          {isAdmin ? (
            <Button disabled={approve.isPending} onClick={() => approve.mutate({ teamId: team.id, hostId })}>
              {approve.isPending ? "Approving…" : "Approve host"}
            </Button>
          ) : null}
        </div>
      ) : null}
      {approve.isError ? <ErrorNotice title="Not approved" message={errorMessage(approve.error)} /> : null}
      {host.revokedAt ? (
        <p className="mb-6 rounded-md bg-slate-100 p-3 text-sm text-slate-700">
          Revoked {formatAbsolute(host.revokedAt)}. Its history stays here; it receives no more work.
        </p>
      ) : null}

      <div className="mb-8 grid gap-6 lg:grid-cols-3">
        <Section title="Facts" className="lg:col-span-2">
          <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-3">
            {factRows.map(([label, value]) => (
              <div key={label} className="min-w-0">
                <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
                <dd className="mt-0.5 truncate text-slate-900" title={value ?? undefined}>
                  {value ?? <span className="text-slate-400">–</span>}
                </dd>
              </div>
            ))}
          </dl>
        </Section>
        <Section title="Labels">
          <Labels hostId={hostId} labels={host.labels} editable={isAdmin && host.status !== "REVOKED"} />
        </Section>
      </div>

      <Section title="Services" className="mb-8">
        {host.services.length === 0 ? (
          <p className="text-sm text-slate-600">This host runs no services deployed by Capstan yet.</p>
        ) : (
          <>
            <ServiceInventory
              hostId={hostId}
              services={host.services}
              canAct={canDeploy && host.status !== "REVOKED"}
            />
            <HealthHistory hostId={hostId} />
            <UsageHistory hostId={hostId} />
            {canDeploy && host.status !== "REVOKED" && <LiveLogs hostId={hostId} services={host.services} />}
          </>
        )}
        <UnmanagedList unmanaged={host.unmanaged} />
      </Section>

      <div className="mb-8">
        <LiveWhere hostId={hostId} />
      </div>

      <section aria-labelledby="host-deployments" className="mb-8">
        <h2 id="host-deployments" className="mb-3 text-base font-semibold text-slate-900">
          Deployments
        </h2>
        <DeploymentList
          hostId={hostId}
          empty={<p className="text-sm text-slate-600">Nothing has been deployed to this host yet.</p>}
        />
      </section>

      <DomainsPanel hostId={hostId} className="mb-8" />

      <Section title="Resources and housekeeping" className="mb-8">
        <HousekeepingPanel hostId={hostId} canPrune={canDeploy && host.status !== "REVOKED"} />
      </Section>

      <Section title="Policy">
        <p className="mb-3 text-sm text-slate-600">What compose services deployed to this host may do.</p>
        <HostPolicy hostId={hostId} policy={host.policy} editable={isAdmin && host.status !== "REVOKED"} />
      </Section>
    </>
  );
}

function Section({ title, className, children }: { title: string; className?: string; children: ReactNode }) {
  const id = `section-${title.toLowerCase().replace(/\W+/g, "-")}`;
  return (
    <section aria-labelledby={id} className={className}>
      <Card className="h-full p-4">
        <h2 id={id} className="mb-3 text-base font-semibold text-slate-900">
          {title}
        </h2>
        {children}
      </Card>
    </section>
  );
}

function HealthHistory({ hostId }: { hostId: string }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const [hours, setHours] = useState(24);
  const query = useQuery(trpc.hosts.healthHistory.queryOptions({ teamId: team.id, hostId, hours }));
  return (
    <div>
      <div className="mb-3 flex items-center justify-between gap-2">
        <h3 className="text-sm font-semibold text-slate-800">Health over time</h3>
        <fieldset className="flex gap-1">
          <legend className="sr-only">Time window</legend>
          {[
            [24, "24 h"],
            [24 * 7, "7 days"],
            [24 * 30, "30 days"],
          ].map(([h, label]) => (
            <button
              key={h}
              type="button"
              aria-pressed={hours === h}
              onClick={() => setHours(h as number)}
              className={`rounded px-2 py-1 text-xs font-medium ${hours === h ? "bg-slate-900 text-white" : "bg-slate-100 text-slate-700 hover:bg-slate-200"}`}
            >
              {label}
            </button>
          ))}
        </fieldset>
      </div>
      {query.isPending ? <Spinner label="Loading health history" /> : null}
      {query.isError ? (
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      ) : null}
      {query.data ? (
        query.data.series.length === 0 ? (
          <p className="text-sm text-slate-600">No health changes recorded yet.</p>
        ) : (
          <HealthChart series={query.data.series} from={query.data.from} to={query.data.to} />
        )
      ) : null}
    </div>
  );
}

function Labels({
  hostId,
  labels,
  editable,
}: {
  hostId: string;
  labels: Record<string, string>;
  editable: boolean;
}) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(formatLabels(labels));
  const [problem, setProblem] = useState<string | null>(null);
  const save = useMutation(
    trpc.hosts.update.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.hosts.pathKey() });
        setEditing(false);
      },
    }),
  );
  if (!editing)
    return (
      <div className="space-y-3">
        {Object.keys(labels).length === 0 ? (
          <p className="text-sm text-slate-600">No labels.</p>
        ) : (
          <ul className="flex flex-wrap gap-1">
            {Object.entries(labels).map(([k, v]) => (
              <li key={k} className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700">
                {k}={v}
              </li>
            ))}
          </ul>
        )}
        {editable ? (
          <Button
            type="button"
            variant="secondary"
            onClick={() => {
              setValue(formatLabels(labels));
              setEditing(true);
            }}
          >
            Edit labels
          </Button>
        ) : null}
      </div>
    );
  return (
    <form
      className="space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        const parsed = parseLabels(value);
        if (!parsed) {
          setProblem("Write labels as key=value, separated by commas.");
          return;
        }
        setProblem(null);
        save.mutate({ teamId: team.id, hostId, labels: parsed });
      }}
    >
      <Field
        id="labels"
        label="Labels"
        hint="key=value, separated by commas"
        value={value}
        onChange={(e) => setValue(e.target.value)}
      />
      {problem ? (
        <p role="alert" className="text-sm text-red-700">
          {problem}
        </p>
      ) : null}
      {save.isError ? <ErrorNotice title="Labels not saved" message={errorMessage(save.error)} /> : null}
      <div className="flex gap-2">
        <Button type="submit" disabled={save.isPending}>
          Save
        </Button>
        <Button type="button" variant="secondary" onClick={() => setEditing(false)}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
