"use client";
import { useQuery } from "@tanstack/react-query";
import { clsx } from "clsx";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Card, ErrorNotice, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

export function RevisionDiff({ workflowId, from, to }: { workflowId: string; from: number; to: number }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const query = useQuery(trpc.workflows.diff.queryOptions({ teamId: team.id, workflowId, from, to }));
  if (query.isPending) return <Spinner label="Comparing" />;
  if (query.isError)
    return <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />;
  const diff = query.data;
  return (
    <Card className="overflow-hidden">
      <div className="flex flex-wrap items-center gap-3 border-b border-slate-200 bg-slate-50 px-4 py-2 text-sm">
        <h3 className="font-semibold text-slate-900">
          r{diff.from.number} → r{diff.to.number}
        </h3>
        <span className="text-emerald-700">+{diff.added}</span>
        <span className="text-red-700">−{diff.removed}</span>
        {diff.sameContent ? (
          <span className="text-slate-600">Same content: both deploy the same thing.</span>
        ) : null}
      </div>
      {diff.hunks.length === 0 ? (
        <p className="px-4 py-3 text-sm text-slate-600">The YAML is identical.</p>
      ) : (
        <div className="overflow-x-auto" data-testid="revision-diff">
          <table className="w-full border-collapse font-mono text-xs leading-5">
            <caption className="sr-only">
              Line changes from revision {diff.from.number} to {diff.to.number}
            </caption>
            <tbody>
              {diff.hunks.map((hunk) => (
                <HunkRows key={`${hunk.oldStart}-${hunk.newStart}`} hunk={hunk} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

type Hunk = {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: {
    type: "context" | "added" | "removed";
    text: string;
    oldLine: number | null;
    newLine: number | null;
  }[];
};

function HunkRows({ hunk }: { hunk: Hunk }) {
  return (
    <>
      <tr className="bg-sky-50 text-sky-800">
        <td colSpan={3} className="px-3 py-1">
          @@ −{hunk.oldStart},{hunk.oldLines} +{hunk.newStart},{hunk.newLines} @@
        </td>
      </tr>
      {hunk.lines.map((line, index) => (
        <tr
          // biome-ignore lint/suspicious/noArrayIndexKey: a hunk's lines are fixed
          key={index}
          className={clsx(line.type === "added" && "bg-emerald-50", line.type === "removed" && "bg-red-50")}
        >
          <td className="w-10 select-none px-2 text-right text-slate-400">{line.oldLine ?? ""}</td>
          <td className="w-10 select-none px-2 text-right text-slate-400">{line.newLine ?? ""}</td>
          <td className="whitespace-pre px-2">
            <span aria-hidden className="select-none">
              {line.type === "added" ? "+ " : line.type === "removed" ? "− " : "  "}
            </span>
            <span className="sr-only">
              {line.type === "added" ? "added: " : line.type === "removed" ? "removed: " : ""}
            </span>
            {line.text}
          </td>
        </tr>
      ))}
    </>
  );
}
