"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Card, ErrorNotice, PageHeader, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

export function Overview() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const query = useQuery(trpc.team.get.queryOptions({ teamId: team.id }));

  return (
    <>
      <PageHeader title="Overview" description={`Everything ${team.name} runs, at a glance.`} />
      {query.isPending ? <Spinner /> : null}
      {query.isError ? (
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      ) : null}
      {query.data ? (
        <>
          <dl className="grid grid-cols-2 gap-4 lg:grid-cols-4">
            {(
              [
                ["Hosts", query.data.counts.hosts, "hosts"],
                ["Workflows", query.data.counts.workflows, "workflows"],
                ["Deployments", query.data.counts.deployments, "deployments"],
                ["Members", query.data.counts.members, "team"],
              ] as const
            ).map(([label, value, href]) => (
              <Link
                key={label}
                href={`/t/${team.slug}/${href}`}
                className="block rounded-lg focus-visible:outline-2"
              >
                <Card className="p-5 hover:border-sky-300">
                  <dt className="text-sm font-medium text-slate-500">{label}</dt>
                  <dd className="mt-1 text-3xl font-semibold tabular-nums text-slate-900">{value}</dd>
                </Card>
              </Link>
            ))}
          </dl>
          {query.data.counts.hosts === 0 ? (
            <Card className="mt-8 p-6">
              <h2 className="text-base font-semibold text-slate-900">Get started</h2>
              <ol className="mt-4 space-y-3 text-sm text-slate-700">
                <Step n={1} done={false} href={`/t/${team.slug}/hosts`} title="Enrol a host">
                  Install the Capstan agent on a server with one command. It only makes outbound HTTPS
                  requests.
                </Step>
                <Step
                  n={2}
                  done={query.data.counts.workflows > 0}
                  href={`/t/${team.slug}/workflows`}
                  title="Create a workflow"
                >
                  Describe a Compose stack or a systemd service in a capstan.yaml.
                </Step>
                <Step
                  n={3}
                  done={query.data.counts.deployments > 0}
                  href={`/t/${team.slug}/deployments`}
                  title="Deploy it"
                >
                  Every deploy is an immutable revision, gated on health and easy to roll back.
                </Step>
              </ol>
            </Card>
          ) : null}
        </>
      ) : null}
    </>
  );
}

function Step({
  n,
  done,
  href,
  title,
  children,
}: {
  n: number;
  done: boolean;
  href: string;
  title: string;
  children: React.ReactNode;
}) {
  return (
    <li className="flex gap-3">
      <span
        className={`flex h-6 w-6 shrink-0 items-center justify-center rounded-full text-xs font-semibold ${done ? "bg-emerald-100 text-emerald-700" : "bg-slate-100 text-slate-600"}`}
        aria-hidden
      >
        {done ? "✓" : n}
      </span>
      <span>
        <Link href={href} className="font-medium text-sky-700 hover:underline">
          {title}
        </Link>
        <span className="block text-slate-600">{children}</span>
      </span>
    </li>
  );
}
