"use client";
// Enrol: a new secret (QR code + text), confirmed by a current code before it is in force; then
// the ten recovery codes, shown once. Disable: needs a current code or a recovery code.
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { Button, ErrorNotice, Field } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

export function TwoFactorSettings({
  enabled,
  recoveryCodesLeft,
  requiredBy,
  back,
}: {
  enabled: boolean;
  recoveryCodesLeft: number;
  requiredBy: string[];
  back: string;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const begin = useMutation(trpc.twoFactor.begin.mutationOptions());
  const confirm = useMutation(trpc.twoFactor.confirm.mutationOptions());
  const disable = useMutation(trpc.twoFactor.disable.mutationOptions({ onSuccess: () => router.refresh() }));
  const [done, setDone] = useState(false);
  const codeOf = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    return String(new FormData(event.currentTarget).get("code") ?? "");
  };

  if (confirm.data && !done)
    return (
      <div className="space-y-4">
        <p role="status" className="text-sm text-emerald-800">
          Two-factor is on. Save these recovery codes now: each signs you in once if you lose your phone, and
          they are not shown again.
        </p>
        <ul
          data-testid="recovery-codes"
          className="grid grid-cols-2 gap-1 rounded-md bg-slate-50 p-3 font-mono text-sm"
        >
          {confirm.data.recoveryCodes.map((code) => (
            <li key={code}>{code}</li>
          ))}
        </ul>
        <Button
          type="button"
          onClick={() => {
            setDone(true);
            router.replace(back);
            router.refresh();
          }}
        >
          I saved them, continue
        </Button>
      </div>
    );

  if (enabled)
    return (
      <div className="space-y-4">
        <p className="text-sm text-slate-700">
          Two-factor is <strong>on</strong>. {recoveryCodesLeft} of 10 recovery codes left.
        </p>
        <form className="space-y-3" onSubmit={(e) => disable.mutate({ code: codeOf(e) })}>
          <Field
            id="code"
            label="Code to turn it off"
            hint="A current code or a recovery code."
            required
            autoComplete="one-time-code"
          />
          <Button type="submit" variant="secondary" disabled={disable.isPending}>
            Turn off two-factor
          </Button>
        </form>
        {disable.isError ? (
          <ErrorNotice title="Not turned off" message={errorMessage(disable.error)} />
        ) : null}
        <a href={back} className="block text-sm text-sky-700 underline">
          Back to the dashboard
        </a>
      </div>
    );

  return (
    <div className="space-y-4">
      {requiredBy.length > 0 ? (
        <p
          role="alert"
          className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900"
        >
          {requiredBy.join(", ")} require{requiredBy.length === 1 ? "s" : ""} two-factor authentication. Set
          it up to continue.
        </p>
      ) : null}
      {begin.data ? (
        <>
          <p className="text-sm text-slate-700">
            Scan this with your authenticator app, or type the key by hand; then enter the code it shows.
          </p>
          {/* An <img> of the server-made SVG: nothing of it runs as markup in this page. */}
          {/* biome-ignore lint/performance/noImgElement: a data: URI; next/image has nothing to optimise */}
          <img
            src={`data:image/svg+xml;base64,${btoa(begin.data.qrSvg)}`}
            alt="QR code of the two-factor secret"
            className="mx-auto h-48 w-48"
          />
          <p className="break-all text-center font-mono text-sm" data-testid="totp-secret">
            {begin.data.secret}
          </p>
          <form className="space-y-3" onSubmit={(e) => confirm.mutate({ code: codeOf(e) })}>
            <Field
              id="code"
              label="Code from the app"
              required
              autoComplete="one-time-code"
              inputMode="numeric"
            />
            <Button type="submit" disabled={confirm.isPending}>
              Turn on two-factor
            </Button>
          </form>
          {confirm.isError ? (
            <ErrorNotice title="Not turned on" message={errorMessage(confirm.error)} />
          ) : null}
        </>
      ) : (
        <Button type="button" onClick={() => begin.mutate()} disabled={begin.isPending}>
          Set up two-factor
        </Button>
      )}
      {begin.isError ? <ErrorNotice title="Could not start" message={errorMessage(begin.error)} /> : null}
    </div>
  );
}
