"use client";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Button, Notice } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import { ShownOnce } from "./shown-once";

/**
 * An ADMIN's one-time password-reset link for a member (the server refuses unless the caller
 * outranks them in every team they belong to). The link is shown once; email is optional.
 */
export function PasswordResetLink({
  teamId,
  userId,
  email,
}: {
  teamId: string;
  userId: string;
  email: string;
}) {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const [sendEmail, setSendEmail] = useState(false);
  const issue = useMutation(trpc.members.issuePasswordReset.mutationOptions());
  if (!open)
    return (
      <Button type="button" variant="secondary" onClick={() => setOpen(true)}>
        Reset link
      </Button>
    );
  const link = issue.data ? `${window.location.origin}/reset/${issue.data.token}` : null;
  return (
    <div className="mt-2 space-y-2 text-left">
      {link && issue.data ? (
        <ShownOnce
          id={`reset-link-${userId}`}
          label={`Password reset link for ${email}`}
          value={link}
          note={`Works once, for 1 hour; using it signs ${email} out everywhere.${issue.data.emailed ? " It was also emailed to them." : ""}`}
        />
      ) : (
        <>
          <label className="flex items-center gap-2 text-xs text-slate-600">
            <input type="checkbox" checked={sendEmail} onChange={(e) => setSendEmail(e.target.checked)} />
            Also email it to {email} (when email is set up)
          </label>
          <Button
            type="button"
            disabled={issue.isPending}
            onClick={() => issue.mutate({ teamId, userId, sendEmail })}
          >
            Issue reset link
          </Button>
        </>
      )}
      {issue.isError ? <Notice tone="error">{errorMessage(issue.error)}</Notice> : null}
    </div>
  );
}
