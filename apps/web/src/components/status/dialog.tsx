"use client";
// A modal on the native <dialog> element: focus moves into it, Escape closes it, the page behind
// is inert. Used by the add-host, deploy and confirm dialogs.
import { type ReactNode, useEffect, useId, useRef, useState } from "react";
import { Button } from "../ui";

export function Modal({
  open,
  onClose,
  title,
  children,
  wide,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      onClose={onClose}
      aria-labelledby={titleId}
      className={`m-auto w-[calc(100%-2rem)] rounded-lg bg-white p-0 shadow-xl backdrop:bg-slate-900/50 ${wide ? "max-w-2xl" : "max-w-lg"}`}
    >
      {open ? (
        <div className="p-5 sm:p-6">
          <div className="mb-4 flex items-start justify-between gap-4">
            <h2 id={titleId} className="text-lg font-semibold text-slate-900">
              {title}
            </h2>
            <button
              type="button"
              onClick={onClose}
              className="rounded p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-600"
              aria-label="Close"
            >
              ✕
            </button>
          </div>
          {children}
        </div>
      ) : null}
    </dialog>
  );
}

/** A button that asks before doing something consequential (revoke, cancel, roll back). */
export function ConfirmButton({
  label,
  title,
  confirmLabel,
  children,
  onConfirm,
  variant = "secondary",
  pending,
  disabled,
}: {
  label: string;
  title: string;
  confirmLabel: string;
  children: ReactNode;
  onConfirm: () => unknown;
  variant?: "primary" | "secondary" | "danger";
  pending?: boolean;
  disabled?: boolean;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button type="button" variant={variant} onClick={() => setOpen(true)} disabled={disabled || pending}>
        {pending ? "Working…" : label}
      </Button>
      <Modal open={open} onClose={() => setOpen(false)} title={title}>
        <div className="text-sm text-slate-700">{children}</div>
        <div className="mt-6 flex justify-end gap-2">
          <Button type="button" variant="secondary" onClick={() => setOpen(false)}>
            Keep as is
          </Button>
          <Button
            type="button"
            variant={variant === "danger" ? "danger" : "primary"}
            onClick={async () => {
              setOpen(false);
              await onConfirm();
            }}
          >
            {confirmLabel}
          </Button>
        </div>
      </Modal>
    </>
  );
}

/** A read-only command with a copy button (falls back to selecting the text). */
export function CopyField({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState(false);
  const fieldId = useId();
  const inputRef = useRef<HTMLTextAreaElement>(null);
  return (
    <div>
      <label htmlFor={fieldId} className="block text-sm font-medium text-slate-700">
        {label}
      </label>
      <div className="mt-1 flex flex-col gap-2 sm:flex-row">
        <textarea
          id={fieldId}
          ref={inputRef}
          readOnly
          rows={3}
          value={value}
          onFocus={(e) => e.currentTarget.select()}
          className="block w-full resize-none rounded-md border border-slate-300 bg-slate-900 px-3 py-2 font-mono text-xs text-slate-100"
        />
        <Button
          type="button"
          variant="secondary"
          className="shrink-0 self-start"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(value);
            } catch {
              inputRef.current?.select();
              document.execCommand?.("copy");
            }
            setCopied(true);
            setTimeout(() => setCopied(false), 2000);
          }}
        >
          {copied ? "Copied" : "Copy"}
        </Button>
      </div>
      <p className="sr-only" aria-live="polite">
        {copied ? "Copied to the clipboard" : ""}
      </p>
    </div>
  );
}
