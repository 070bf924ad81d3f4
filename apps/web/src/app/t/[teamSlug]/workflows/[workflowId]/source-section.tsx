"use client";
// The workflow's `source:` (where its project files come from), read-only: the YAML is the one
// place it is edited, so the page cannot disagree with the revision. "Test connection" asks the
// control plane to read the repository with the workflow's credentials secret and lists branches.
import { useMutation } from "@tanstack/react-query";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Badge, Button, Card, ErrorNotice } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import type { WorkflowDetail } from "../workflow-frame";
import { UploadFolder } from "./upload-folder";

export function SourceSection({ workflow }: { workflow: WorkflowDetail }) {
  const git = workflow.latestRevision?.spec.source?.git;
  return (
    <section aria-labelledby="source-title" className="space-y-3">
      <h2 id="source-title" className="text-lg font-semibold text-slate-900">
        Source
      </h2>
      <Card className="space-y-3 p-4 text-sm">
        {git ? (
          <GitSource workflowId={workflow.id} git={git} />
        ) : (
          <p className="text-slate-600">
            No repository: this workflow deploys what its YAML holds (or a folder uploaded below or with{" "}
            <code>capstan deploy</code>). To deploy from Git, add a{" "}
            <code>source: {"{ git: { url, ref } }"}</code> key in the YAML (see "Deploy from a repository" in
            the workflow format docs).
          </p>
        )}
        <UploadFolder workflowId={workflow.id} />
      </Card>
    </section>
  );
}

interface GitSourceSpec {
  url: string;
  ref: string;
  path?: string;
  credentials?: string;
}

function GitSource({ workflowId, git }: { workflowId: string; git: GitSourceSpec }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const canTest = team.role === "OWNER" || team.role === "ADMIN";
  const test = useMutation(trpc.workflows.testSource.mutationOptions());
  const branches = test.data?.branches;
  return (
    <>
      <dl className="grid gap-x-4 gap-y-1 sm:grid-cols-[max-content_1fr]">
        <dt className="font-medium text-slate-700">Repository</dt>
        <dd className="break-all font-mono">{git.url}</dd>
        <dt className="font-medium text-slate-700">Ref</dt>
        <dd className="font-mono">{git.ref}</dd>
        <dt className="font-medium text-slate-700">Subfolder</dt>
        <dd className="font-mono">{git.path ?? "(repository root)"}</dd>
        <dt className="font-medium text-slate-700">Credentials</dt>
        <dd>
          {git.credentials ? (
            <span className="font-mono">secret {git.credentials}</span>
          ) : (
            "none (public repository)"
          )}
        </dd>
      </dl>
      <p className="text-slate-500">
        Edit these in the workflow's YAML (the <code>source</code> key).
      </p>
      {canTest ? (
        <div className="space-y-2">
          <Button
            type="button"
            variant="secondary"
            disabled={test.isPending}
            onClick={() =>
              test.mutate({ teamId: team.id, workflowId, url: git.url, credentials: git.credentials ?? null })
            }
          >
            {test.isPending ? "Testing…" : "Test connection"}
          </Button>
          {test.isError ? (
            <ErrorNotice title="The repository could not be read" message={errorMessage(test.error)} />
          ) : null}
          {branches ? (
            <div role="status" className="space-y-1">
              <p className="text-slate-700">
                Connected: {branches.length} branch{branches.length === 1 ? "" : "es"}.{" "}
                {branches.includes(git.ref) ? (
                  <Badge tone="green">{git.ref} found</Badge>
                ) : /^[0-9a-f]{40}$/.test(git.ref) ? (
                  <span className="text-slate-500">The ref is a pinned commit.</span>
                ) : (
                  <Badge tone="amber">{git.ref} is not a branch (a tag is checked at deploy)</Badge>
                )}
              </p>
              <ul aria-label="Branches" className="flex flex-wrap gap-1">
                {branches.map((b) => (
                  <li key={b} className="rounded bg-slate-100 px-2 py-0.5 font-mono text-xs">
                    {b}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
        </div>
      ) : null}
    </>
  );
}
