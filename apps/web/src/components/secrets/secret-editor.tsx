"use client";
// The write-only secret list and form shared by a workflow's secrets page and the team's: names,
// who saved them, replace and delete, and a form whose value field is never filled from the
// server (no procedure returns a value).
import { type ReactNode, useState } from "react";
import { ConfirmButton } from "@/components/status/dialog";
import { RelativeTime } from "@/components/status/time";
import { Button, Card, Notice } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";

export interface SecretRow {
  id: string;
  name: string;
  updatedAt: Date | string;
  updatedBy: { email: string } | null;
}

const INPUT =
  "block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500/30";

export function SecretList({
  rows,
  canEdit,
  onReplace,
  onDelete,
  deleting,
  extra,
  deleteWarning,
}: {
  rows: SecretRow[];
  canEdit: boolean;
  onReplace: (name: string) => void;
  onDelete: (name: string) => void;
  deleting: string | null;
  /** Per-row notes (badges, where it is used). */
  extra?: (row: SecretRow) => ReactNode;
  deleteWarning: (name: string) => ReactNode;
}) {
  return (
    <Card>
      <ul className="divide-y divide-slate-100" aria-label="Secrets">
        {rows.map((s) => (
          <li key={s.id} className="flex flex-col gap-2 px-4 py-3 text-sm sm:flex-row sm:items-center">
            <div className="min-w-0 flex-1">
              <span className="font-mono font-medium">{s.name}</span>{" "}
              <span className="font-mono text-slate-400" aria-hidden>
                ••••••••
              </span>
              <span className="sr-only">(value hidden)</span>
              {extra?.(s)}
              <div className="text-xs text-slate-500">
                updated <RelativeTime date={new Date(s.updatedAt)} />
                {s.updatedBy ? ` by ${s.updatedBy.email}` : ""}
              </div>
            </div>
            {canEdit ? (
              <div className="flex gap-2">
                <Button type="button" variant="secondary" onClick={() => onReplace(s.name)}>
                  Replace
                </Button>
                <ConfirmButton
                  label="Delete"
                  title={`Delete ${s.name}?`}
                  confirmLabel="Delete secret"
                  variant="danger"
                  pending={deleting === s.name}
                  onConfirm={() => onDelete(s.name)}
                >
                  {deleteWarning(s.name)}
                </ConfirmButton>
              </div>
            ) : null}
          </li>
        ))}
      </ul>
    </Card>
  );
}

/** Set or replace one secret. `name`/`setName` live in the parent so "Replace" can fill the name. */
export function SecretForm({
  name,
  setName,
  suggestions,
  existing,
  save,
}: {
  name: string;
  setName: (name: string) => void;
  suggestions: string[];
  existing: Set<string>;
  save: (name: string, value: string) => Promise<{ name: string; created: boolean }>;
}) {
  const [value, setValue] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  return (
    <>
      <form
        className="grid gap-3 sm:grid-cols-[1fr_2fr_auto] sm:items-end"
        onSubmit={async (e) => {
          e.preventDefault();
          setSaved(null);
          setError(null);
          setPending(true);
          try {
            const written = await save(name.trim(), value);
            setValue("");
            setSaved(
              `${written.name} ${written.created ? "saved" : "replaced"}. The value is encrypted and cannot be shown again.`,
            );
          } catch (err) {
            setError(errorMessage(err));
          } finally {
            setPending(false);
          }
        }}
      >
        <div className="space-y-1">
          <label htmlFor="secret-name" className="block text-sm font-medium text-slate-700">
            Name
          </label>
          <input
            id="secret-name"
            list="declared-secrets"
            value={name}
            onChange={(e) => setName(e.target.value.toUpperCase())}
            required
            pattern="[A-Z_][A-Z0-9_]*"
            placeholder="DB_PASSWORD"
            autoComplete="off"
            className={INPUT}
          />
          <datalist id="declared-secrets">
            {suggestions.map((n) => (
              <option key={n} value={n} />
            ))}
          </datalist>
        </div>
        <div className="space-y-1">
          <label htmlFor="secret-value" className="block text-sm font-medium text-slate-700">
            Value
          </label>
          <input
            id="secret-value"
            type="password"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            required
            autoComplete="new-password"
            className={INPUT}
          />
        </div>
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : existing.has(name.trim()) ? "Replace" : "Save"}
        </Button>
      </form>
      {error ? <Notice tone="error">{error}</Notice> : null}
      {saved ? <Notice tone="ok">{saved}</Notice> : null}
    </>
  );
}

/** Fills the form's name and moves the cursor to the value (the "Replace" button). */
export function focusSecretValue(): void {
  document.getElementById("secret-value")?.focus();
}
