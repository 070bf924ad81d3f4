"use client";
// "Deploy": pick a revision (unless the caller names one), then deploy it to its workflow's
// targets or to hosts chosen here. Reusable: the workflows pages render
// <DeployButton revisionId=... /> next to a revision.
import { hasRole } from "@capstan/core/rbac/roles";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useId, useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Modal } from "@/components/status/dialog";
import { StatusBadge } from "@/components/status/status-badge";
import { Button, ErrorNotice, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

const CAN_DEPLOY = new Set(["OWNER", "ADMIN", "DEPLOYER"]);
/** Who may choose hosts outside the workflow's targets (display only: the server checks again). */
const CAN_CHOOSE_ANY_HOST = new Set(["OWNER", "ADMIN"]);

/** Whether the current member may deploy (display only: the server checks again). */
export function useCanDeploy(): boolean {
  return CAN_DEPLOY.has(useCurrentTeam().role);
}

export function DeployButton({
  revisionId,
  workflowId,
  label = "Deploy",
  variant = "primary",
}: {
  revisionId?: string;
  workflowId?: string;
  label?: string;
  variant?: "primary" | "secondary";
}) {
  const [open, setOpen] = useState(false);
  if (!useCanDeploy()) return null;
  return (
    <>
      <Button type="button" variant={variant} onClick={() => setOpen(true)}>
        {label}
      </Button>
      <DeployDialog
        open={open}
        onClose={() => setOpen(false)}
        revisionId={revisionId}
        workflowId={workflowId}
      />
    </>
  );
}

function DeployDialog({
  open,
  onClose,
  revisionId: fixedRevisionId,
  workflowId: initialWorkflowId,
}: {
  open: boolean;
  onClose: () => void;
  revisionId?: string;
  workflowId?: string;
}) {
  return (
    <Modal open={open} onClose={onClose} title="Deploy a revision" wide>
      {open ? (
        <DeployForm
          onClose={onClose}
          fixedRevisionId={fixedRevisionId}
          initialWorkflowId={initialWorkflowId}
        />
      ) : null}
    </Modal>
  );
}

function DeployForm({
  onClose,
  fixedRevisionId,
  initialWorkflowId,
}: {
  onClose: () => void;
  fixedRevisionId?: string;
  initialWorkflowId?: string;
}) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const router = useRouter();
  const queryClient = useQueryClient();
  const ids = useId();
  const [workflowId, setWorkflowId] = useState(initialWorkflowId ?? "");
  const [revisionId, setRevisionId] = useState(fixedRevisionId ?? "");
  const [mode, setMode] = useState<"targets" | "chosen">("targets");
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [freezeOverride, setFreezeOverride] = useState(false);
  // One key per dialog: a double click or a retried request creates one deployment, not two.
  const [idempotencyKey] = useState(() => crypto.randomUUID());

  const deployable = useQuery({
    ...trpc.deployments.deployable.queryOptions({ teamId: team.id }),
    enabled: !fixedRevisionId,
    // Fresh on every opening: a workflow written since the last one must be offered, not
    // "nothing to deploy" from the cache.
    staleTime: 0,
  });
  const refreshingEmpty = deployable.isFetching && deployable.data?.length === 0;
  useEffect(() => {
    if (fixedRevisionId || !deployable.data?.length) return;
    const workflow = deployable.data.find((w) => w.id === workflowId) ?? deployable.data[0]!;
    if (workflow.id !== workflowId) setWorkflowId(workflow.id);
    if (!workflow.revisions.some((r) => r.id === revisionId)) setRevisionId(workflow.revisions[0]?.id ?? "");
  }, [deployable.data, workflowId, revisionId, fixedRevisionId]);

  const preview = useQuery({
    ...trpc.deployments.preview.queryOptions({ teamId: team.id, revisionId }),
    enabled: revisionId !== "",
  });
  useEffect(() => {
    if (preview.data?.targetsProblem) setMode("chosen");
  }, [preview.data?.targetsProblem]);

  const deploy = useMutation(
    trpc.deployments.create.mutationOptions({
      onSuccess: async (result) => {
        await queryClient.invalidateQueries({ queryKey: trpc.deployments.list.pathKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.overview.get.pathKey() });
        onClose();
        router.push(`/t/${team.slug}/deployments/${result.id}`);
      },
    }),
  );

  const workflow = deployable.data?.find((w) => w.id === workflowId);
  const hostIds = mode === "chosen" ? [...chosen] : undefined;
  const canSubmit =
    revisionId !== "" &&
    preview.isSuccess &&
    (mode === "chosen" ? chosen.size > 0 : preview.data.targets.length > 0 && !preview.data.targetsProblem);

  return (
    <form
      className="space-y-5"
      onSubmit={(e) => {
        e.preventDefault();
        // The dialog may sit inside another form (the workflow editor's "Deploy now"): React
        // bubbles submit events along the component tree, and that form must not submit too.
        e.stopPropagation();
        if (canSubmit)
          deploy.mutate({
            teamId: team.id,
            revisionId,
            hostIds,
            idempotencyKey,
            ...(freezeOverride ? { freezeOverride } : {}),
          });
      }}
    >
      {!fixedRevisionId ? (
        deployable.isPending || refreshingEmpty ? (
          <Spinner label="Loading workflows" />
        ) : deployable.isError ? (
          <ErrorNotice message={errorMessage(deployable.error)} onRetry={() => deployable.refetch()} />
        ) : deployable.data.length === 0 ? (
          <p className="text-sm text-slate-600">
            There is nothing to deploy yet: write a workflow first on the{" "}
            <Link
              href={`/t/${team.slug}/workflows`}
              className="font-medium text-sky-700 underline"
              onClick={onClose}
            >
              Workflows
            </Link>{" "}
            page.
          </p>
        ) : (
          <div className="grid gap-4 sm:grid-cols-2">
            <label className="block text-sm font-medium text-slate-700" htmlFor={`${ids}-wf`}>
              Workflow
              <select
                id={`${ids}-wf`}
                value={workflowId}
                onChange={(e) => setWorkflowId(e.target.value)}
                className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm"
              >
                {deployable.data.map((w) => (
                  <option key={w.id} value={w.id}>
                    {w.name}
                  </option>
                ))}
              </select>
            </label>
            <label className="block text-sm font-medium text-slate-700" htmlFor={`${ids}-rev`}>
              Revision
              <select
                id={`${ids}-rev`}
                value={revisionId}
                onChange={(e) => setRevisionId(e.target.value)}
                className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm"
              >
                {workflow?.revisions.map((r, i) => (
                  <option key={r.id} value={r.id}>
                    #{r.number}
                    {i === 0 ? " (latest)" : ""}
                    {r.message ? ` – ${r.message}` : ""}
                  </option>
                ))}
              </select>
            </label>
          </div>
        )
      ) : null}

      {revisionId && preview.isPending ? <Spinner label="Resolving target hosts" /> : null}
      {preview.isError ? (
        <ErrorNotice message={errorMessage(preview.error)} onRetry={() => preview.refetch()} />
      ) : null}
      {preview.data ? (
        <fieldset className="space-y-3">
          <legend className="text-sm font-medium text-slate-700">
            {preview.data.workflow.name} · revision {preview.data.revision.number}
            {preview.data.services.length ? (
              <span className="font-normal text-slate-500">
                {" "}
                · services {preview.data.services.join(", ")}
              </span>
            ) : null}
          </legend>
          <label className="flex items-start gap-2 text-sm">
            <input
              type="radio"
              name="mode"
              className="mt-1"
              checked={mode === "targets"}
              disabled={!!preview.data.targetsProblem}
              onChange={() => setMode("targets")}
            />
            <span>
              The workflow's targets
              {preview.data.targetsProblem ? (
                <span className="block text-amber-700">{preview.data.targetsProblem}</span>
              ) : (
                <span className="block text-slate-500">
                  {preview.data.targets.length} host{preview.data.targets.length === 1 ? "" : "s"}:{" "}
                  {preview.data.targets.map((h) => h.name).join(", ")}
                </span>
              )}
            </span>
          </label>
          <label className="flex items-start gap-2 text-sm">
            <input
              type="radio"
              name="mode"
              className="mt-1"
              checked={mode === "chosen"}
              onChange={() => setMode("chosen")}
            />
            <span>
              Hosts I choose
              {CAN_CHOOSE_ANY_HOST.has(team.role) ? null : (
                <span className="block text-slate-500">
                  Among the workflow's targets; other hosts need the ADMIN role.
                </span>
              )}
            </span>
          </label>
          {mode === "chosen" ? (
            preview.data.hosts.length === 0 ? (
              <p className="pl-6 text-sm text-slate-600">No enrolled hosts yet: add one on the Hosts page.</p>
            ) : (
              <ul className="max-h-56 space-y-1 overflow-auto rounded-md border border-slate-200 p-2 pl-3">
                {preview.data.hosts.map((h) => (
                  <li key={h.id}>
                    <label className="flex items-center gap-2 text-sm">
                      <input
                        type="checkbox"
                        checked={chosen.has(h.id)}
                        onChange={(e) => {
                          const next = new Set(chosen);
                          if (e.target.checked) next.add(h.id);
                          else next.delete(h.id);
                          setChosen(next);
                        }}
                      />
                      <span className="font-medium">{h.name}</span>
                      <StatusBadge status={h.status} />
                      <span className="truncate text-xs text-slate-500">
                        {Object.entries(h.labels)
                          .map(([k, v]) => `${k}=${v}`)
                          .join(" ")}
                      </span>
                    </label>
                  </li>
                ))}
              </ul>
            )
          ) : null}
        </fieldset>
      ) : null}

      {deploy.isError ? <ErrorNotice title="Not deployed" message={errorMessage(deploy.error)} /> : null}
      {hasRole(team.role, "ADMIN") ? (
        <label className="flex items-start gap-2 text-sm">
          <input
            type="checkbox"
            className="mt-1"
            checked={freezeOverride}
            onChange={(e) => setFreezeOverride(e.target.checked)}
          />
          <span>
            Override a freeze window
            <span className="block text-slate-500">
              Deploy even where an environment is frozen now (needs ADMIN there; audited). Approvals still
              apply.
            </span>
          </span>
        </label>
      ) : null}
      <div className="flex justify-end gap-2">
        <Button type="button" variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <Button type="submit" disabled={!canSubmit || deploy.isPending}>
          {deploy.isPending ? "Deploying…" : "Deploy now"}
        </Button>
      </div>
    </form>
  );
}
