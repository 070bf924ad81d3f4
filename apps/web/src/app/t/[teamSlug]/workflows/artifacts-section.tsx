"use client";
// Files for systemd workflows (`artifact: { upload: NAME, sha256 }`). Uploads go to
// POST /api/artifacts as the raw file body; listing and deleting use tRPC.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { RelativeTime } from "@/components/status/time";
import { Button, Card, ErrorNotice, Spinner, Truncate } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function CopySnippet({ name, sha256 }: { name: string; sha256: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <Button
      variant="secondary"
      className="px-2 py-1 text-xs"
      aria-label={`Copy the YAML for ${name}`}
      onClick={async () => {
        await navigator.clipboard
          .writeText(`artifact: { upload: ${name}, sha256: ${sha256} }`)
          .catch(() => {});
        setCopied(true);
        setTimeout(() => setCopied(false), 2000);
      }}
    >
      {copied ? "Copied" : "Copy YAML"}
    </Button>
  );
}

export function ArtifactsSection() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const canEdit = team.role === "OWNER" || team.role === "ADMIN";
  const query = useQuery(trpc.artifacts.list.queryOptions({ teamId: team.id }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.artifacts.list.queryKey() });
  const remove = useMutation(trpc.artifacts.delete.mutationOptions({ onSettled: refresh }));
  const fileRef = useRef<HTMLInputElement>(null);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  async function upload(event: React.FormEvent) {
    event.preventDefault();
    const file = fileRef.current?.files?.[0];
    if (!file) return setMessage({ ok: false, text: "Choose a file first." });
    const artifactName = name.trim() || file.name;
    if (!NAME.test(artifactName)) {
      return setMessage({ ok: false, text: "Name: 1-128 letters, digits, '.', '_' or '-'." });
    }
    setBusy(true);
    setMessage(null);
    try {
      const params = new URLSearchParams({ teamId: team.id, name: artifactName });
      const res = await fetch(`/api/artifacts?${params}`, { method: "POST", body: file });
      const body = await res.json().catch(() => null);
      if (!res.ok) throw new Error(body?.error?.message ?? `Upload failed (HTTP ${res.status}).`);
      setMessage({ ok: true, text: `Uploaded ${body.name} (sha256 ${body.sha256}).` });
      setName("");
      if (fileRef.current) fileRef.current.value = "";
      await refresh();
    } catch (error) {
      setMessage({ ok: false, text: errorMessage(error) });
    } finally {
      setBusy(false);
    }
  }

  const items = query.data ?? [];
  return (
    <section aria-labelledby="artifacts-title" className="mt-10 space-y-3">
      <h2 id="artifacts-title" className="text-lg font-semibold text-slate-900">
        Artifacts
      </h2>
      <p className="text-sm text-slate-500">
        Tarballs or binaries for systemd services, up to 100 MiB. Uploading a name again with other content
        adds a new version; pin one in the workflow with its sha256.
      </p>
      {canEdit ? (
        <form onSubmit={upload} className="flex flex-wrap items-end gap-3">
          <label className="text-sm text-slate-700">
            File
            <input ref={fileRef} type="file" className="mt-1 block text-sm" />
          </label>
          <label className="text-sm text-slate-700">
            Name (defaults to the file name)
            <input
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="my-service.tar.gz"
              className="mt-1 block rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm"
            />
          </label>
          <Button type="submit" disabled={busy}>
            {busy ? "Uploading…" : "Upload"}
          </Button>
        </form>
      ) : null}
      {message ? (
        <p role="status" className={message.ok ? "text-sm text-emerald-700" : "text-sm text-red-700"}>
          {message.text}
        </p>
      ) : null}
      {query.isPending ? <Spinner label="Loading artifacts" /> : null}
      {query.isError ? (
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      ) : null}
      {remove.isError ? <ErrorNotice message={errorMessage(remove.error)} /> : null}
      {query.isSuccess && items.length === 0 ? (
        <p className="text-sm text-slate-500">No artifacts yet.</p>
      ) : null}
      {items.length > 0 ? (
        <Card className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="text-xs uppercase text-slate-500">
              <tr>
                <th className="px-4 py-2">Name</th>
                <th className="px-4 py-2">sha256</th>
                <th className="px-4 py-2">Size</th>
                <th className="px-4 py-2">Uploaded</th>
                <th className="px-4 py-2">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {items.map((a) => (
                <tr key={a.id}>
                  <td className="px-4 py-2 font-medium">{a.name}</td>
                  <td className="px-4 py-2 font-mono text-xs">
                    <Truncate text={a.sha256} className="max-w-[10rem]" />
                  </td>
                  <td className="px-4 py-2">{formatSize(a.size)}</td>
                  <td className="px-4 py-2">
                    <RelativeTime date={a.createdAt} />
                  </td>
                  <td className="flex gap-2 px-4 py-2">
                    <CopySnippet name={a.name} sha256={a.sha256} />
                    {canEdit ? (
                      <Button
                        variant="danger"
                        className="px-2 py-1 text-xs"
                        disabled={remove.isPending}
                        onClick={() => {
                          if (window.confirm(`Delete ${a.name} (${a.sha256.slice(0, 12)})?`))
                            remove.mutate({ teamId: team.id, id: a.id });
                        }}
                      >
                        Delete
                      </Button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      ) : null}
    </section>
  );
}
