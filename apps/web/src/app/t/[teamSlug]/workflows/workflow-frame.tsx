"use client";
// The header and sub-navigation shared by a workflow's pages, with the workflow loaded once.
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { clsx } from "clsx";
import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { ErrorNotice, PageHeader, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import type { AppRouter } from "@/server/trpc/root";
import { useTRPC } from "@/trpc/client";

export type WorkflowDetail = inferRouterOutputs<AppRouter>["workflows"]["get"];

export function WorkflowFrame({
  workflowId,
  actions,
  children,
}: {
  workflowId: string;
  actions?: (workflow: WorkflowDetail) => ReactNode;
  children: (workflow: WorkflowDetail) => ReactNode;
}) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const pathname = usePathname();
  const query = useQuery(trpc.workflows.get.queryOptions({ teamId: team.id, workflowId }));
  const base = `/t/${team.slug}/workflows/${workflowId}`;
  const tabs = [
    { href: base, label: "Overview & history" },
    { href: `${base}/edit`, label: "Edit" },
    { href: `${base}/secrets`, label: "Secrets" },
  ];
  if (query.isPending) return <Spinner label="Loading workflow" />;
  if (query.isError)
    return (
      <ErrorNotice
        title={
          query.error.data?.code === "NOT_FOUND" ? "Workflow not found" : "The workflow could not be loaded"
        }
        message={errorMessage(query.error)}
        onRetry={() => query.refetch()}
      />
    );
  const workflow = query.data;
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm text-slate-500">
        <Link href={`/t/${team.slug}/workflows`} className="hover:underline">
          Workflows
        </Link>{" "}
        / <span className="text-slate-700">{workflow.name}</span>
      </nav>
      <PageHeader
        title={workflow.name}
        description={
          workflow.latestRevision
            ? `Revision ${workflow.latestRevision.number} of ${workflow.revisionCount} · ${workflow.services.length} service${workflow.services.length === 1 ? "" : "s"}`
            : "No revisions"
        }
        actions={actions?.(workflow)}
      />
      <nav aria-label="Workflow" className="mb-6 flex gap-1 overflow-x-auto border-b border-slate-200">
        {tabs.map((tab) => {
          const active = pathname === tab.href;
          return (
            <Link
              key={tab.href}
              href={tab.href}
              aria-current={active ? "page" : undefined}
              className={clsx(
                "-mb-px whitespace-nowrap border-b-2 px-3 py-2 text-sm font-medium",
                active
                  ? "border-sky-600 text-sky-700"
                  : "border-transparent text-slate-600 hover:text-slate-900",
              )}
            >
              {tab.label}
            </Link>
          );
        })}
      </nav>
      {children(workflow)}
    </>
  );
}
