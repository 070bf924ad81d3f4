"use client";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { type FormEvent, useState } from "react";
import { Button, ErrorNotice, Field } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useHydrated } from "@/lib/use-hydrated";
import { useTRPC } from "@/trpc/client";

interface Props {
  token: string;
  invitedEmail: string | null;
  signedInEmail: string | null;
}

export function AcceptInvitation({ token, invitedEmail, signedInEmail }: Props) {
  const trpc = useTRPC();
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const asMe = useMutation(trpc.invitation.acceptAsMe.mutationOptions());
  const asNew = useMutation(trpc.invitation.acceptAsNewUser.mutationOptions());
  const hydrated = useHydrated();

  if (signedInEmail) {
    return (
      <div className="space-y-4">
        <p className="text-sm text-slate-700">
          Signed in as <strong>{signedInEmail}</strong>.
        </p>
        {error ? <ErrorNotice title="Could not join" message={error} /> : null}
        <Button
          type="button"
          className="w-full"
          disabled={asMe.isPending}
          onClick={async () => {
            try {
              const result = await asMe.mutateAsync({ token });
              router.replace(`/t/${result.team.slug}`);
              router.refresh();
            } catch (e) {
              setError(errorMessage(e));
            }
          }}
        >
          Accept invitation
        </Button>
      </div>
    );
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email"));
    const password = String(form.get("password"));
    try {
      const result = await asNew.mutateAsync({
        token,
        email,
        password,
        name: String(form.get("name")) || undefined,
      });
      await signIn("credentials", { email, password, redirect: false });
      router.replace(`/t/${result.team.slug}`);
      router.refresh();
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <form method="post" onSubmit={onSubmit} className="space-y-4">
      <Field id="name" label="Your name" maxLength={120} autoComplete="name" />
      <Field
        id="email"
        label="Email"
        type="email"
        required
        autoComplete="email"
        defaultValue={invitedEmail ?? undefined}
        readOnly={invitedEmail !== null}
      />
      <Field
        id="password"
        label="Password"
        type="password"
        required
        minLength={10}
        autoComplete="new-password"
        hint="At least 10 characters."
      />
      {error ? <ErrorNotice title="Could not join" message={error} /> : null}
      <Button type="submit" className="w-full" disabled={asNew.isPending || !hydrated}>
        Create account and join
      </Button>
      <p className="text-center text-xs text-slate-500">
        Already have an account?{" "}
        <Link
          className="font-medium text-sky-700 underline"
          href={`/signin?callbackUrl=${encodeURIComponent(`/invite/${token}`)}`}
        >
          Sign in first
        </Link>
      </p>
    </form>
  );
}
