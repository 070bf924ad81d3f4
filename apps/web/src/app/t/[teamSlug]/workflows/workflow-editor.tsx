"use client";
// Create or edit a workflow: a form for the common fields and the YAML editor over the same
// text, live validation with issues at their lines, and saving as a new immutable revision.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Button, Card, Field, Notice } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import type { AppRouter } from "@/server/trpc/root";
import { useTRPC } from "@/trpc/client";
import { DeployButton } from "../deployments/deploy-dialog";
import {
  applyCommonFields,
  type CommonFields,
  formatSelector,
  parseHostList,
  parseSelector,
  readCommonFields,
} from "./common-fields";
import { type EditorIssue, YamlEditor } from "./yaml-editor";

interface FormText {
  name: string;
  hosts: string;
  selector: string;
  batchSize: string;
  autoRollback: boolean;
}

function toFormText(fields: CommonFields): FormText {
  return {
    name: fields.name,
    hosts: fields.hosts.join(", "),
    selector: formatSelector(fields.selector),
    batchSize: fields.batchSize,
    autoRollback: fields.autoRollback,
  };
}

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

export function issuesFromError(error: unknown): EditorIssue[] {
  const details = (error as { data?: { details?: { issues?: EditorIssue[] } | null } } | null)?.data?.details;
  return Array.isArray(details?.issues) ? details.issues : [];
}

type CheckResult = inferRouterOutputs<AppRouter>["workflows"]["check"];

/**
 * Validates the debounced text on the server. Answers that arrive after the text changed again
 * are dropped, so the issues shown always belong to the text that was checked last.
 */
function useLiveCheck(teamId: string, source: string, workflowId: string | undefined) {
  const trpc = useTRPC();
  const latest = useRef(source);
  const [state, setState] = useState<{ data?: CheckResult; error?: unknown; isFetching: boolean }>({
    isFetching: true,
  });
  const mutation = useMutation(trpc.workflows.check.mutationOptions());
  const { mutate } = mutation;
  useEffect(() => {
    latest.current = source;
    setState((s) => ({ ...s, isFetching: true }));
    mutate(
      { teamId, source, workflowId: workflowId ?? null },
      {
        onSuccess: (data) => {
          if (latest.current === source) setState({ data, isFetching: false });
        },
        onError: (error) => {
          if (latest.current === source) setState((s) => ({ ...s, error, isFetching: false }));
        },
      },
    );
  }, [teamId, source, workflowId, mutate]);
  return { ...state, isError: state.error !== undefined && !state.isFetching };
}

export function WorkflowEditor({
  workflowId,
  initialSource,
  template,
}: {
  workflowId?: string;
  initialSource: string;
  /** Created from this catalogue template: go on to its secrets form after saving. */
  template?: { slug: string; hasSecrets: boolean };
}) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const router = useRouter();
  const queryClient = useQueryClient();
  const canEdit = team.role === "OWNER" || team.role === "ADMIN";
  const [source, setSource] = useState(initialSource);
  const [message, setMessage] = useState("");
  const [form, setForm] = useState<FormText>(() =>
    toFormText(readCommonFields(initialSource) ?? readCommonFields("")!),
  );
  // revisionId: the saved (or unchanged) revision, which "Deploy now" deploys.
  const [notice, setNotice] = useState<{
    tone: "ok" | "info";
    text: string;
    href?: string;
    revisionId: string;
  } | null>(null);
  const checkedSource = useDebounced(source, 350);
  const check = useLiveCheck(team.id, checkedSource, workflowId);

  const onSourceChange = (next: string) => {
    setSource(next);
    setNotice(null);
    const fields = readCommonFields(next);
    if (fields) setForm(toFormText(fields));
  };

  const onFormChange = (patch: Partial<FormText>) => {
    const next = { ...form, ...patch };
    setForm(next);
    setNotice(null);
    const updated = applyCommonFields(source, {
      name: next.name,
      hosts: parseHostList(next.hosts),
      selector: parseSelector(next.selector),
      batchSize: next.batchSize,
      autoRollback: next.autoRollback,
    });
    if (updated !== null) setSource(updated);
  };

  const onSaved = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.workflows.pathKey() });
  };
  const create = useMutation(
    trpc.workflows.create.mutationOptions({
      onSuccess: async (created) => {
        await onSaved();
        const path = `/t/${team.slug}/workflows/${created.id}`;
        router.push(template?.hasSecrets ? `${path}/secrets?template=${template.slug}` : `${path}?created=1`);
      },
    }),
  );
  const save = useMutation(
    trpc.workflows.saveRevision.mutationOptions({
      onSuccess: async (result) => {
        await onSaved();
        setMessage("");
        setNotice(
          result.created
            ? {
                tone: "ok",
                text: `Saved as revision ${result.revision.number}.`,
                href: `/t/${team.slug}/workflows/${workflowId}`,
                revisionId: result.revision.id,
              }
            : {
                tone: "info",
                text: `No changes to save: this deploys exactly what revision ${result.revision.number} deploys (only comments or layout differ). No new revision was made.`,
                revisionId: result.revision.id,
              },
        );
      },
    }),
  );
  const mutation = workflowId ? save : create;
  const serverIssues = issuesFromError(mutation.error);
  const liveIssues = check.data?.issues ?? [];
  const issues: EditorIssue[] = mutation.isError && serverIssues.length > 0 ? serverIssues : liveIssues;
  const pendingCheck = checkedSource !== source || check.isFetching;
  const unchangedFrom = check.data?.unchangedFrom ?? null;

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    setNotice(null);
    if (workflowId) save.mutate({ teamId: team.id, workflowId, source, message: message || null });
    else create.mutate({ teamId: team.id, source, message: message || null });
  };

  return (
    <form onSubmit={submit} className="space-y-6" aria-label={workflowId ? "Edit workflow" : "New workflow"}>
      {!canEdit ? (
        <p className="rounded-md bg-amber-50 p-3 text-sm text-amber-800">
          You can read this workflow; saving revisions needs the Admin role.
        </p>
      ) : null}
      <Card className="grid gap-4 p-4 sm:grid-cols-2 lg:grid-cols-4">
        <Field
          id="wf-name"
          label="Name"
          value={form.name}
          disabled={Boolean(workflowId) || !canEdit}
          hint={workflowId ? "Names cannot change." : "Lower-case letters, digits and -"}
          onChange={(e) => onFormChange({ name: e.target.value })}
        />
        <Field
          id="wf-hosts"
          label="Target hosts"
          value={form.hosts}
          placeholder="web-1, web-2"
          disabled={!canEdit}
          onChange={(e) => onFormChange({ hosts: e.target.value })}
        />
        <Field
          id="wf-selector"
          label="Label selector"
          value={form.selector}
          placeholder="role=web"
          disabled={!canEdit}
          onChange={(e) => onFormChange({ selector: e.target.value })}
        />
        <div className="grid grid-cols-2 gap-3">
          <Field
            id="wf-batch"
            label="Batch size"
            value={form.batchSize}
            hint="Hosts at once, or 25%"
            disabled={!canEdit}
            onChange={(e) => onFormChange({ batchSize: e.target.value })}
          />
          <label className="mt-6 flex items-start gap-2 text-sm text-slate-700">
            <input
              type="checkbox"
              className="mt-1"
              checked={form.autoRollback}
              disabled={!canEdit}
              onChange={(e) => onFormChange({ autoRollback: e.target.checked })}
            />
            Roll back on failed health
          </label>
        </div>
      </Card>
      <YamlEditor
        id="wf-source"
        label="capstan.yaml"
        value={source}
        onChange={onSourceChange}
        issues={issues}
        readOnly={!canEdit}
      />
      <p className="text-sm text-slate-600" aria-live="polite" data-testid="check-status">
        {pendingCheck
          ? "Checking…"
          : check.isError
            ? `Could not check: ${errorMessage(check.error)}`
            : check.data?.ok
              ? unchangedFrom !== null
                ? `Valid. Same content as revision ${unchangedFrom}: saving would not make a new revision.`
                : "Valid."
              : `${issues.length} problem${issues.length === 1 ? "" : "s"} to fix.`}
      </p>
      {canEdit ? (
        <div className="flex flex-col gap-3 sm:flex-row sm:items-end">
          <div className="flex-1">
            <Field
              id="wf-message"
              label="What changed (optional)"
              value={message}
              maxLength={500}
              onChange={(e) => setMessage(e.target.value)}
            />
          </div>
          <Button
            type="submit"
            disabled={mutation.isPending || (check.data && !check.data.ok && !pendingCheck)}
          >
            {mutation.isPending ? "Saving…" : workflowId ? "Save revision" : "Create workflow"}
          </Button>
        </div>
      ) : null}
      {mutation.isError && serverIssues.length === 0 ? (
        <Notice tone="error">{errorMessage(mutation.error)}</Notice>
      ) : null}
      {notice ? (
        <div
          role="status"
          className={
            notice.tone === "ok"
              ? "rounded-md bg-emerald-50 p-3 text-sm text-emerald-800"
              : "rounded-md bg-sky-50 p-3 text-sm text-sky-800"
          }
        >
          {notice.text}{" "}
          {notice.href ? (
            <Link href={notice.href} className="font-medium underline">
              View history
            </Link>
          ) : null}
          <DeployButton revisionId={notice.revisionId} workflowId={workflowId} label="Deploy now" />
        </div>
      ) : null}
    </form>
  );
}
