"use client";
// "Upload project folder": the dashboard's `capstan deploy`. The folder is packed in the browser
// (lib/pack-folder.ts: ignore files, capstan.yaml at the root, the bundle limits), uploaded to
// POST /api/bundles, then saved as a new revision of its capstan.yaml naming the bundle. The
// server checks all of it again; this only spares the upload of what it would refuse.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { ErrorNotice } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { formatBytes, packFolder, stripFolderName } from "@/lib/pack-folder";
import { useTRPC } from "@/trpc/client";
import { issuesFromError } from "../workflow-editor";

async function uploadBundle(teamId: string, data: Uint8Array): Promise<string> {
  const params = new URLSearchParams({ teamId });
  const res = await fetch(`/api/bundles?${params}`, {
    method: "POST",
    headers: { "content-type": "application/gzip" },
    body: data as BodyInit,
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body?.error?.message ?? `The upload failed (HTTP ${res.status}).`);
  return body.sha256 as string;
}

export function UploadFolder({ workflowId }: { workflowId: string }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const [progress, setProgress] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const save = useMutation(
    trpc.workflows.saveRevision.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.workflows.pathKey() }),
    }),
  );
  if (team.role !== "OWNER" && team.role !== "ADMIN") return null;

  async function upload(input: HTMLInputElement) {
    const chosen = [...(input.files ?? [])];
    input.value = "";
    if (chosen.length === 0) return;
    setFailure(null);
    save.reset();
    try {
      setProgress(`Packing ${chosen.length} files…`);
      const packed = await packFolder(
        chosen.map((file) => ({
          path: stripFolderName(file.webkitRelativePath || file.name),
          size: file.size,
          bytes: async () => new Uint8Array(await file.arrayBuffer()),
        })),
        {
          onProgress: (p) =>
            setProgress(
              p.phase === "packing"
                ? `Packing ${p.files} of ${chosen.length} files…`
                : `Compressing ${formatBytes(p.bytes)}…`,
            ),
        },
      );
      setProgress(`Uploading ${formatBytes(packed.data.byteLength)} (${packed.files} files)…`);
      const bundle = await uploadBundle(team.id, packed.data);
      setProgress("Saving the revision…");
      await save.mutateAsync({
        teamId: team.id,
        workflowId,
        source: packed.source,
        bundle,
        message: `Uploaded folder (${packed.files} files)`,
      });
      setProgress(null);
    } catch (error) {
      setProgress(null);
      // Validation errors of the revision are shown from the mutation's own state below.
      if (issuesFromError(error).length === 0) setFailure(errorMessage(error));
    }
  }

  const saved = save.data;
  const issues = issuesFromError(save.error);
  return (
    <div className="space-y-2 border-t border-slate-200 pt-3">
      <label className="block font-medium text-slate-700">
        Upload project folder
        <input
          type="file"
          className="mt-1 block text-sm font-normal"
          disabled={progress !== null}
          // Non-standard attributes React does not know: a folder picker in Chromium, WebKit and Firefox.
          {...{ webkitdirectory: "", directory: "" }}
          onChange={(event) => void upload(event.currentTarget)}
        />
      </label>
      <p className="text-slate-500">
        The folder holding <code>capstan.yaml</code>; <code>.git/</code> and what <code>.gitignore</code> and{" "}
        <code>.capstanignore</code> exclude are left out. Its files become a new revision.
      </p>
      {progress ? (
        <p role="status" className="text-slate-700">
          {progress}
        </p>
      ) : null}
      {failure ? <ErrorNotice title="The folder was not uploaded" message={failure} /> : null}
      {issues.length > 0 ? (
        <div role="alert" className="space-y-1 text-red-700">
          <p className="font-medium">The folder's capstan.yaml is not valid:</p>
          <ul className="list-disc pl-5">
            {issues.map((issue) => (
              <li key={`${issue.line ?? 0}-${issue.text}`}>
                {issue.line ? `line ${issue.line}: ` : ""}
                {issue.text}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {saved ? (
        <p role="status" className="text-emerald-700">
          {saved.created
            ? `Uploaded: saved as revision ${saved.revision.number}.`
            : `No changes: the folder is exactly revision ${saved.revision.number}.`}
        </p>
      ) : null}
    </div>
  );
}
