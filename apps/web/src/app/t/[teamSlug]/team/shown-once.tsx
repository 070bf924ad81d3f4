"use client";
import { useState } from "react";
import { Button } from "@/components/ui";

/** A value the server shows exactly once (invitation link, API token), with a copy button. */
export function ShownOnce({
  id,
  label,
  value,
  note,
}: {
  id: string;
  label: string;
  value: string;
  note: string;
}) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="rounded-md border border-emerald-200 bg-emerald-50 p-3 text-sm" role="status">
      <label htmlFor={id} className="block font-medium text-emerald-900">
        {label}
      </label>
      <div className="mt-1 flex flex-col gap-2 sm:flex-row">
        <input
          id={id}
          readOnly
          value={value}
          onFocus={(e) => e.currentTarget.select()}
          className="block w-full min-w-0 rounded-md border border-emerald-300 bg-white px-3 py-2 font-mono text-xs"
          data-testid={`${id}-value`}
        />
        <Button
          type="button"
          variant="secondary"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(value);
              setCopied(true);
            } catch {
              (document.getElementById(id) as HTMLInputElement | null)?.select();
            }
          }}
        >
          {copied ? "Copied" : "Copy"}
        </Button>
      </div>
      <p className="mt-1 text-emerald-800">{note}</p>
    </div>
  );
}
