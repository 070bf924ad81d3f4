"use client";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { type FormEvent, useState } from "react";
import { Button, Field } from "@/components/ui";
import {
  SIGN_IN_TWO_FACTOR_INVALID,
  SIGN_IN_TWO_FACTOR_NEEDED,
  signInErrorMessage,
} from "@/lib/sign-in-error";
import { useHydrated } from "@/lib/use-hydrated";
import { TwoFactorCodeField } from "./two-factor-code-field";

export function SignInForm({
  callbackUrl,
  initialError,
}: {
  callbackUrl: string;
  initialError: string | null;
}) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(initialError);
  const [pending, setPending] = useState(false);
  const [needsCode, setNeedsCode] = useState(false);
  const hydrated = useHydrated();

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    setPending(true);
    const form = new FormData(event.currentTarget);
    try {
      const result = await signIn("credentials", {
        email: String(form.get("email")),
        password: String(form.get("password")),
        code: needsCode ? String(form.get("code") ?? "") : "",
        redirect: false,
      });
      if (!result?.ok) {
        const code = result?.error ?? "CredentialsSignin";
        if (code === SIGN_IN_TWO_FACTOR_NEEDED || code === SIGN_IN_TWO_FACTOR_INVALID) setNeedsCode(true);
        setError(signInErrorMessage(code));
        return;
      }
      router.replace(callbackUrl);
      router.refresh();
    } catch {
      setError("Sign-in failed: the server did not answer. Try again.");
    } finally {
      setPending(false);
    }
  }

  return (
    <form method="post" onSubmit={onSubmit} className="space-y-4">
      <Field id="email" label="Email" type="email" required autoComplete="email" autoFocus />
      <Field id="password" label="Password" type="password" required autoComplete="current-password" />
      {needsCode ? <TwoFactorCodeField /> : null}
      {error ? (
        <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          {error}
        </p>
      ) : null}
      <Button type="submit" className="w-full" disabled={pending || !hydrated}>
        {pending ? "Signing in…" : "Sign in"}
      </Button>
      <p className="text-center text-xs text-slate-500">New here? Ask a team admin for an invitation link.</p>
    </form>
  );
}
