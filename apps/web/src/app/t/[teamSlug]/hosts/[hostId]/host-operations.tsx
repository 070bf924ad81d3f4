"use client";
// The host page's heavier operations on a deployed workflow: undeploy (named volumes kept unless an
// ADMIN types the workflow's name) and, for ADMINs, a one-off command whose output and exit code
// show here as they arrive (the same log as its deployment page).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Modal } from "@/components/status/dialog";
import { Button, Field } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

const small = "px-2 py-1 text-xs";

export function UndeployButton({ hostId, workflow }: { hostId: string; workflow: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button type="button" variant="danger" className={small} onClick={() => setOpen(true)}>
        Undeploy
      </Button>
      <Modal open={open} onClose={() => setOpen(false)} title={`Undeploy ${workflow} from this host`}>
        <UndeployForm hostId={hostId} workflow={workflow} onClose={() => setOpen(false)} />
      </Modal>
    </>
  );
}

function UndeployForm({
  hostId,
  workflow,
  onClose,
}: {
  hostId: string;
  workflow: string;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const isAdmin = team.role === "OWNER" || team.role === "ADMIN";
  const [removeVolumes, setRemoveVolumes] = useState(false);
  const [confirm, setConfirm] = useState("");
  const checkboxId = useId();
  const undeploy = useMutation(
    trpc.hosts.undeploy.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.hosts.pathKey() }),
    }),
  );
  return (
    <form
      className="space-y-4 text-sm text-slate-700"
      onSubmit={(event) => {
        event.preventDefault();
        undeploy.mutate({
          teamId: team.id,
          hostId,
          workflow,
          removeVolumes,
          ...(removeVolumes ? { confirm } : {}),
        });
      }}
    >
      <p>
        Removes every service of <strong>{workflow}</strong> from this host: its containers or units, releases
        and env files. Named volumes and data folders are kept, so a later deploy finds its data again.
      </p>
      {isAdmin && (
        <div className="space-y-3 rounded-md border border-red-200 bg-red-50 p-3">
          <label htmlFor={checkboxId} className="flex items-center gap-2 font-medium text-red-800">
            <input
              id={checkboxId}
              type="checkbox"
              checked={removeVolumes}
              onChange={(e) => setRemoveVolumes(e.currentTarget.checked)}
            />
            Also delete its named volumes and data (cannot be undone)
          </label>
          {removeVolumes && (
            <Field
              id={`${checkboxId}-confirm`}
              label={`Type ${workflow} to confirm`}
              value={confirm}
              autoComplete="off"
              onChange={(e) => setConfirm(e.currentTarget.value)}
            />
          )}
        </div>
      )}
      {undeploy.isError && (
        <p role="alert" className="text-red-700">
          {errorMessage(undeploy.error)}
        </p>
      )}
      {undeploy.isSuccess ? (
        <p>
          Undeploy queued:{" "}
          <Link
            className="text-sky-700 underline"
            href={`/t/${team.slug}/deployments/${undeploy.data.deploymentId}`}
          >
            follow it
          </Link>
        </p>
      ) : (
        <div className="flex justify-end gap-2">
          <Button type="button" variant="secondary" onClick={onClose}>
            Keep it
          </Button>
          <Button
            type="submit"
            variant="danger"
            disabled={undeploy.isPending || (removeVolumes && confirm !== workflow)}
          >
            {removeVolumes ? "Undeploy and delete data" : "Undeploy"}
          </Button>
        </div>
      )}
    </form>
  );
}

export function RunCommandButton({
  hostId,
  workflow,
  service,
}: {
  hostId: string;
  workflow: string;
  service: string;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button type="button" variant="secondary" className={small} onClick={() => setOpen(true)}>
        Run…
      </Button>
      <Modal
        open={open}
        onClose={() => setOpen(false)}
        title={`Run a command in ${workflow}/${service}`}
        wide
      >
        <RunCommandForm hostId={hostId} workflow={workflow} service={service} />
      </Modal>
    </>
  );
}

function RunCommandForm({
  hostId,
  workflow,
  service,
}: {
  hostId: string;
  workflow: string;
  service: string;
}) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const [argvText, setArgvText] = useState("");
  const [timeout, setTimeoutSeconds] = useState("300");
  const argvId = useId();
  const run = useMutation(trpc.hosts.runCommand.mutationOptions());
  // One argument per line: there is no shell, so nothing is split or expanded.
  const argv = argvText.split("\n").filter((line) => line !== "");
  return (
    <div className="space-y-4 text-sm text-slate-700">
      <form
        className="space-y-3"
        onSubmit={(event) => {
          event.preventDefault();
          run.mutate({
            teamId: team.id,
            hostId,
            workflow,
            service,
            command: { argv, timeoutSeconds: Number(timeout) },
          });
        }}
      >
        <div className="space-y-1">
          <label htmlFor={argvId} className="block font-medium">
            Command: one argument per line (no shell)
          </label>
          <textarea
            id={argvId}
            rows={4}
            value={argvText}
            onChange={(e) => setArgvText(e.currentTarget.value)}
            placeholder={"bin/rails\ndb:migrate:status"}
            className="block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-xs"
          />
        </div>
        <Field
          id={`${argvId}-timeout`}
          label="Timeout (seconds)"
          type="number"
          min={1}
          max={3600}
          value={timeout}
          onChange={(e) => setTimeoutSeconds(e.currentTarget.value)}
        />
        <Button type="submit" disabled={run.isPending || argv.length === 0 || run.isSuccess}>
          Run
        </Button>
      </form>
      {run.isError && (
        <p role="alert" className="text-red-700">
          {errorMessage(run.error)}
        </p>
      )}
      {run.isSuccess && <CommandOutput deploymentId={run.data.deploymentId} />}
    </div>
  );
}

/** The command's output lines and, once it ended, its exit code (polled from the deployment's log). */
function CommandOutput({ deploymentId }: { deploymentId: string }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const events = useQuery({
    ...trpc.deployments.events.queryOptions({ teamId: team.id, deploymentId, cursor: null }),
    refetchInterval: (query) => (query.state.data?.progress.final ? false : 1000),
  });
  const page = events.data;
  const lines = (page?.events ?? []).filter((e) => e.type === "log" && e.message.startsWith("run: "));
  const ended = page?.events.find(
    (e) => e.type === "step" && /exit code \d+|timed out|cancelled|failed/.test(e.message),
  );
  return (
    <div className="space-y-2">
      <pre
        role="log"
        aria-label="Command output"
        className="max-h-80 overflow-auto rounded-md bg-slate-900 p-3 font-mono text-xs text-slate-100"
      >
        {lines.map((e) => e.message.slice(5)).join("\n") ||
          (page?.progress.final ? "(no output)" : "waiting for the host…")}
      </pre>
      <p role="status">
        {ended ? ended.message : page?.progress.final ? page.progress.status.toLowerCase() : "running…"}
        {page?.more ? " (more output on the deployment page)" : ""}{" "}
        <Link className="text-sky-700 underline" href={`/t/${team.slug}/deployments/${deploymentId}`}>
          deployment page
        </Link>
      </p>
    </div>
  );
}
