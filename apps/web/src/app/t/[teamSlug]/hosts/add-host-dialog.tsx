"use client";
// "Add host" (ADMIN): creates a one-time enrollment token and shows the install command once.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { CopyField, Modal } from "@/components/status/dialog";
import { formatAbsolute } from "@/components/status/time";
import { Button, ErrorNotice, Field } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import { installCommand, parseLabels } from "./install-command";

const EXPIRIES = [
  { seconds: 15 * 60, label: "15 minutes" },
  { seconds: 3600, label: "1 hour" },
  { seconds: 24 * 3600, label: "1 day" },
  { seconds: 7 * 24 * 3600, label: "7 days" },
];

export function AddHostButton({ publicUrl }: { publicUrl: string | null }) {
  const [open, setOpen] = useState(false);
  const team = useCurrentTeam();
  if (team.role !== "OWNER" && team.role !== "ADMIN") return null;
  return (
    <>
      <Button type="button" onClick={() => setOpen(true)}>
        Add host
      </Button>
      <Modal open={open} onClose={() => setOpen(false)} title="Add a host" wide>
        <AddHostForm publicUrl={publicUrl} onDone={() => setOpen(false)} />
      </Modal>
    </>
  );
}

function AddHostForm({ publicUrl, onDone }: { publicUrl: string | null; onDone: () => void }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const [hostName, setHostName] = useState("");
  const [labelsText, setLabelsText] = useState("");
  const [expiresInSeconds, setExpiresInSeconds] = useState(3600);
  const [labelsError, setLabelsError] = useState<string | null>(null);
  const create = useMutation(
    trpc.enrollment.create.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.enrollment.list.pathKey() }),
    }),
  );

  if (create.data) {
    const url = publicUrl ?? window.location.origin;
    return (
      <div className="space-y-4">
        <p className="text-sm text-slate-700">
          Run this as root on the server. The agent installs itself as a systemd service, enrolls with this
          token and then only makes outbound HTTPS requests to <span className="font-mono">{url}</span>.
        </p>
        <CopyField label="Install command" value={installCommand(url, create.data.token)} />
        <p className="rounded-md bg-amber-50 p-3 text-sm text-amber-800" role="note">
          This token is shown only now and works once. It expires{" "}
          <strong>{formatAbsolute(create.data.expiresAt)}</strong>.
          {create.data.hostName ? ` The host will be named ${create.data.hostName}.` : ""}
        </p>
        <p className="text-sm text-slate-600">The host appears in the list as soon as its agent enrolls.</p>
        <div className="flex justify-end">
          <Button type="button" onClick={onDone}>
            Done
          </Button>
        </div>
      </div>
    );
  }

  return (
    <form
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        const labels = parseLabels(labelsText);
        if (!labels) {
          setLabelsError("Write labels as key=value, separated by commas.");
          return;
        }
        setLabelsError(null);
        create.mutate({
          teamId: team.id,
          hostName: hostName.trim() || undefined,
          labels,
          expiresInSeconds,
        });
      }}
    >
      <Field
        id="host-name"
        label="Host name (optional)"
        hint="Lowercase letters, digits, '.' and '-'. Without one, the agent uses the server's hostname."
        value={hostName}
        onChange={(e) => setHostName(e.target.value)}
        autoComplete="off"
      />
      <Field
        id="host-labels"
        label="Labels (optional)"
        hint="e.g. role=web, env=prod. Workflows select hosts by label."
        value={labelsText}
        onChange={(e) => setLabelsText(e.target.value)}
        autoComplete="off"
      />
      {labelsError ? (
        <p role="alert" className="text-sm text-red-700">
          {labelsError}
        </p>
      ) : null}
      <label className="block text-sm font-medium text-slate-700" htmlFor="token-expiry">
        Token expires after
        <select
          id="token-expiry"
          value={expiresInSeconds}
          onChange={(e) => setExpiresInSeconds(Number(e.target.value))}
          className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm"
        >
          {EXPIRIES.map((x) => (
            <option key={x.seconds} value={x.seconds}>
              {x.label}
            </option>
          ))}
        </select>
      </label>
      {create.isError ? <ErrorNotice title="No token created" message={errorMessage(create.error)} /> : null}
      <div className="flex justify-end gap-2">
        <Button type="button" variant="secondary" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create install command"}
        </Button>
      </div>
    </form>
  );
}
