"use client";
// What runs on this host, as its heartbeats report it: every Capstan-managed service with health,
// uptime, restarts, CPU, memory, image or release, ports and the running revision's domains, plus
// CPU and memory over time.
// Every value is rendered as text (React escapes it); the agent's strings are also allowlisted
// by the protocol before they are stored.
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { UsageChart } from "@/components/charts/usage-chart";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { StatusBadge } from "@/components/status/status-badge";
import { Duration, RelativeTime } from "@/components/status/time";
import { ErrorNotice, Spinner, Truncate } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { formatSize } from "@/lib/format-size";
import type { AppRouter } from "@/server/trpc/root";
import { useTRPC } from "@/trpc/client";
import { ServiceActions } from "./service-actions";

type HostService = inferRouterOutputs<AppRouter>["hosts"]["get"]["services"][number];
type Stats = NonNullable<HostService["stats"]>;

const NONE = <span className="text-slate-400">–</span>;

const formatCpu = (percent: number) => `${percent < 10 ? percent.toFixed(1) : Math.round(percent)} %`;

function ports(stats: Stats | null): string | null {
  if (!stats?.ports?.length) return null;
  return stats.ports
    .map((p) => {
      const text = p.published && p.target ? `${p.published}→${p.target}` : String(p.published ?? p.target);
      return p.protocol === "tcp" ? text : `${text}/${p.protocol}`;
    })
    .join(", ");
}

function Identity({ service }: { service: HostService }) {
  const { stats } = service;
  const text = stats?.image ?? (stats?.release ? `release ${stats.release}` : null);
  const commit = stats?.commit ? stats.commit.slice(0, 12) : null;
  if (!text && !commit) return NONE;
  return (
    <Truncate text={[text, commit].filter(Boolean).join(" · ")} className="max-w-[16rem] font-mono text-xs">
      {text}
      {commit ? <span className="text-slate-500"> {commit}</span> : null}
    </Truncate>
  );
}

export function ServiceInventory({
  hostId,
  services,
  canAct,
}: {
  hostId: string;
  services: HostService[];
  canAct: boolean;
}) {
  const head = [
    "Service",
    "Health",
    "Uptime",
    "Restarts",
    "CPU",
    "Memory",
    "Image / release",
    "Ports",
    "Domains",
    "Since",
  ];
  return (
    <div className="-mx-4 mb-6 overflow-x-auto">
      <table className="min-w-full text-sm" aria-label="Managed services">
        <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
          <tr>
            {head.map((h) => (
              <th key={h} className="whitespace-nowrap px-4 py-2 font-medium">
                {h}
              </th>
            ))}
            {canAct && <th className="px-4 py-2 font-medium">Actions</th>}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {services.map((s) => {
            const stats = s.stats;
            const started = stats?.startedAt ? new Date(stats.startedAt) : null;
            return (
              <tr key={`${s.workflow}/${s.service}`}>
                <td className="px-4 py-2 font-medium text-slate-900">
                  {s.workflow}/{s.service}
                  <span className="block text-xs font-normal text-slate-500">{s.kind}</span>
                </td>
                <td className="px-4 py-2">
                  <StatusBadge status={s.status} />
                  {s.detail ? (
                    <Truncate text={s.detail} className="mt-0.5 max-w-xs text-xs text-slate-600" />
                  ) : null}
                </td>
                <td className="whitespace-nowrap px-4 py-2 text-xs text-slate-600">
                  {started && s.status !== "STOPPED" ? <Duration start={started} end={null} /> : NONE}
                </td>
                <td className="px-4 py-2 text-xs tabular-nums text-slate-600">{stats?.restarts ?? NONE}</td>
                <td className="whitespace-nowrap px-4 py-2 text-xs tabular-nums text-slate-600">
                  {stats?.cpuPercent !== undefined ? formatCpu(stats.cpuPercent) : NONE}
                </td>
                <td className="whitespace-nowrap px-4 py-2 text-xs tabular-nums text-slate-600">
                  {stats?.memoryBytes !== undefined ? formatSize(stats.memoryBytes) : NONE}
                </td>
                <td className="px-4 py-2 text-slate-700">
                  <Identity service={s} />
                </td>
                <td className="px-4 py-2 font-mono text-xs text-slate-600">{ports(stats) ?? NONE}</td>
                <td className="px-4 py-2 text-xs text-slate-600">
                  {s.domains.length > 0
                    ? s.domains.map((d) => (
                        <span key={d} className="block whitespace-nowrap font-mono">
                          {d}
                        </span>
                      ))
                    : NONE}
                </td>
                <td className="whitespace-nowrap px-4 py-2 text-xs text-slate-600">
                  <RelativeTime date={s.updatedAt} />
                </td>
                {canAct && (
                  <td className="px-4 py-2">
                    <ServiceActions hostId={hostId} workflow={s.workflow} service={s.service} />
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** CPU and memory per service over the ring's window (24 h), next to the health chart. */
export function UsageHistory({ hostId }: { hostId: string }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const query = useQuery({
    ...trpc.hosts.statsHistory.queryOptions({ teamId: team.id, hostId }),
    refetchInterval: 60_000,
  });
  if (query.isPending) return <Spinner label="Loading CPU and memory history" />;
  if (query.isError)
    return <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />;
  const { series, from, to } = query.data;
  if (series.length === 0)
    return (
      <p className="text-sm text-slate-600">
        No CPU or memory samples yet (agents report them with each heartbeat).
      </p>
    );
  const pick = (key: "cpuPercent" | "memoryBytes") =>
    series.map((s) => ({ ...s, samples: s.points.map((p) => ({ at: p.at, value: p[key] })) }));
  return (
    <section aria-label="CPU and memory over time" className="mt-6 space-y-6">
      <UsageChart
        label="CPU over the last 24 h"
        series={pick("cpuPercent")}
        from={from}
        to={to}
        format={formatCpu}
        floor={1}
      />
      <UsageChart
        label="Memory over the last 24 h"
        series={pick("memoryBytes")}
        from={from}
        to={to}
        format={formatSize}
        floor={16 * 1024 ** 2}
      />
    </section>
  );
}
