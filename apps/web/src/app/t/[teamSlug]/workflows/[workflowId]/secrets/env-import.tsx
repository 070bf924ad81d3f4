"use client";
// Paste or upload a .env file, see names and masked values (from the server's parser, so the
// preview is exactly what would be saved), then save everything at once or nothing.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Badge, Button, Card, Notice } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

export function EnvImport({ workflowId, onSaved }: { workflowId: string; onSaved: () => unknown }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const [text, setText] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const preview = useMutation(trpc.secrets.previewEnvFile.mutationOptions());
  const save = useMutation(
    trpc.secrets.importEnvFile.mutationOptions({
      onSuccess: async (written) => {
        setText("");
        preview.reset();
        setDone(
          `Saved ${written.length} secret${written.length === 1 ? "" : "s"}. Values cannot be shown again.`,
        );
        await onSaved();
      },
    }),
  );
  const input = { teamId: team.id, workflowId, text };
  const result = preview.data;
  const canSave = result && result.issues.length === 0 && result.secrets.length > 0;

  return (
    <section aria-labelledby="env-title" className="space-y-3">
      <h2 id="env-title" className="text-lg font-semibold text-slate-900">
        Import a .env file
      </h2>
      <div className="space-y-1">
        <label htmlFor="env-text" className="block text-sm font-medium text-slate-700">
          Paste NAME=value lines, or choose a file
        </label>
        <textarea
          id="env-text"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            preview.reset();
            setDone(null);
          }}
          rows={5}
          spellCheck={false}
          autoComplete="off"
          // The pasted text is sensitive: keep it out of the browser's form restore and spellcheck.
          data-lpignore="true"
          className="block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-sm shadow-sm [-webkit-text-security:disc] focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500/30"
        />
        <p className="text-xs text-slate-500">
          The text is masked here; the preview shows names and masked values only.
        </p>
      </div>
      <div className="flex flex-wrap items-center gap-3">
        <label className="inline-flex cursor-pointer items-center rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-800 shadow-sm focus-within:ring-2 focus-within:ring-sky-500/30 hover:bg-slate-50">
          Upload .env
          <input
            type="file"
            accept=".env,text/plain"
            className="sr-only"
            onChange={async (e) => {
              const file = e.target.files?.[0];
              e.target.value = "";
              if (!file) return;
              setText(await file.text());
              preview.reset();
              setDone(null);
            }}
          />
        </label>
        <Button
          type="button"
          variant="secondary"
          disabled={!text.trim() || preview.isPending}
          onClick={() => preview.mutate(input)}
        >
          {preview.isPending ? "Checking…" : "Preview"}
        </Button>
        {canSave ? (
          <Button type="button" disabled={save.isPending} onClick={() => save.mutate(input)}>
            {save.isPending
              ? "Saving…"
              : `Save ${result.secrets.length} secret${result.secrets.length === 1 ? "" : "s"}`}
          </Button>
        ) : null}
      </div>
      {preview.isError ? (
        <p role="alert" className="text-sm text-red-700">
          {errorMessage(preview.error)}
        </p>
      ) : null}
      {save.isError ? (
        <p role="alert" className="text-sm text-red-700">
          {errorMessage(save.error)}
        </p>
      ) : null}
      {done ? <Notice tone="ok">{done}</Notice> : null}
      {result ? (
        <Card className="overflow-x-auto">
          <table className="min-w-full text-sm" data-testid="env-preview">
            <caption className="sr-only">What would be saved</caption>
            <thead className="bg-slate-50 text-left text-xs uppercase text-slate-500">
              <tr>
                <th scope="col" className="px-4 py-2">
                  Line
                </th>
                <th scope="col" className="px-4 py-2">
                  Name
                </th>
                <th scope="col" className="px-4 py-2">
                  Value
                </th>
                <th scope="col" className="px-4 py-2" />
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {result.secrets.map((s) => (
                <tr key={s.name}>
                  <td className="px-4 py-2 text-slate-500">{s.line}</td>
                  <td className="px-4 py-2 font-mono">{s.name}</td>
                  <td className="px-4 py-2 font-mono text-slate-500">
                    {s.masked} <span className="text-xs">({s.length} chars)</span>
                  </td>
                  <td className="px-4 py-2">
                    {s.replaces ? <Badge tone="amber">replaces</Badge> : <Badge tone="green">new</Badge>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {result.issues.length > 0 ? (
            <ul
              className="space-y-1 border-t border-red-200 bg-red-50 p-3 text-sm text-red-800"
              aria-label="Problems"
            >
              {result.issues.map((issue, index) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: issues have no identity of their own
                <li key={index}>{issue.message}</li>
              ))}
            </ul>
          ) : null}
          {result.issues.length > 0 ? (
            <p className="p-3 text-sm text-slate-600">
              Fix the problems and preview again: nothing is saved until every line is right.
            </p>
          ) : null}
        </Card>
      ) : null}
    </section>
  );
}
