"use client";
import { MIN_PASSWORD_LENGTH } from "@capstan/core/users/check-password-policy";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { Button, Card, Field, Notice } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

/** Change the password (the current one is required); every other session is signed out. */
export function ChangePassword() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const change = useMutation(
    trpc.account.changePassword.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.account.sessions.queryKey() }),
    }),
  );

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    change.mutate(
      {
        currentPassword: String(data.get("current-password")),
        newPassword: String(data.get("new-password")),
      },
      { onSuccess: () => form.reset() },
    );
  }

  return (
    <section aria-labelledby="password-title" className="space-y-3">
      <h2 id="password-title" className="text-lg font-semibold text-slate-900">
        Password
      </h2>
      <Card className="p-4">
        <form method="post" onSubmit={onSubmit} className="max-w-sm space-y-4">
          <Field
            id="current-password"
            label="Current password"
            type="password"
            required
            autoComplete="current-password"
          />
          <Field
            id="new-password"
            label="New password"
            type="password"
            required
            minLength={MIN_PASSWORD_LENGTH}
            autoComplete="new-password"
            hint={`At least ${MIN_PASSWORD_LENGTH} characters. Your other sessions are signed out.`}
          />
          {change.isError ? <Notice tone="error">{errorMessage(change.error)}</Notice> : null}
          {change.isSuccess ? (
            <Notice tone="ok">
              Password changed.{" "}
              {change.data.revokedSessions > 0
                ? `${change.data.revokedSessions} other session(s) signed out.`
                : "No other sessions were open."}
            </Notice>
          ) : null}
          <Button type="submit" disabled={change.isPending}>
            Change password
          </Button>
        </form>
      </Card>
    </section>
  );
}
