"use client";
import { MIN_PASSWORD_LENGTH } from "@capstan/core/users/check-password-policy";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import type { FormEvent } from "react";
import { Button, Field, Notice } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useHydrated } from "@/lib/use-hydrated";
import { useTRPC } from "@/trpc/client";

export function ResetPasswordForm({ token, email }: { token: string; email: string }) {
  const trpc = useTRPC();
  const complete = useMutation(trpc.passwordReset.complete.mutationOptions());
  const hydrated = useHydrated();

  if (complete.isSuccess)
    return (
      <div className="space-y-4">
        <Notice tone="ok">Your password is set. Sign in with it now.</Notice>
        <Link className="font-medium text-sky-700 underline" href="/signin">
          Go to sign in
        </Link>
      </div>
    );

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    complete.mutate({ token, password: String(new FormData(event.currentTarget).get("password")) });
  }

  return (
    <form method="post" onSubmit={onSubmit} className="space-y-4">
      {/* For password managers: the account the new password belongs to. */}
      <input type="hidden" name="username" autoComplete="username" value={email} />
      <Field
        id="password"
        label="New password"
        type="password"
        required
        minLength={MIN_PASSWORD_LENGTH}
        autoComplete="new-password"
        hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
      />
      {complete.isError ? <Notice tone="error">{errorMessage(complete.error)}</Notice> : null}
      <Button type="submit" className="w-full" disabled={complete.isPending || !hydrated}>
        Set new password
      </Button>
    </form>
  );
}
