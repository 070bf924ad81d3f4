"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { type FormEvent, useState } from "react";
import { Button, ErrorNotice, Field } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useHydrated } from "@/lib/use-hydrated";
import { useTRPC } from "@/trpc/client";

export function SetupForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const setup = useMutation(trpc.setup.createFirstOwner.mutationOptions());
  const hydrated = useHydrated();

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    const form = new FormData(event.currentTarget);
    const password = String(form.get("password"));
    if (password !== String(form.get("confirm"))) {
      setError("The passwords do not match.");
      return;
    }
    const email = String(form.get("email"));
    try {
      const result = await setup.mutateAsync({
        teamName: String(form.get("teamName")),
        name: String(form.get("name")) || undefined,
        email,
        password,
        setupCode: String(form.get("setupCode")),
      });
      const signedIn = await signIn("credentials", { email, password, redirect: false });
      router.replace(signedIn?.ok ? `/t/${result.team.slug}` : "/signin");
      router.refresh();
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <form method="post" onSubmit={onSubmit} className="space-y-4">
      <Field
        id="setupCode"
        label="Setup code"
        required
        maxLength={64}
        autoComplete="off"
        spellCheck={false}
        placeholder="XXXX-XXXX-XXXX"
        hint="Printed in the server log when Capstan starts (and in the npm start banner)."
      />
      <Field
        id="teamName"
        label="Team name"
        required
        maxLength={80}
        placeholder="Acme Operations"
        autoComplete="organization"
      />
      <Field id="name" label="Your name" maxLength={120} autoComplete="name" />
      <Field id="email" label="Email" type="email" required autoComplete="email" />
      <Field
        id="password"
        label="Password"
        type="password"
        required
        minLength={10}
        autoComplete="new-password"
        hint="At least 10 characters."
      />
      <Field
        id="confirm"
        label="Repeat password"
        type="password"
        required
        minLength={10}
        autoComplete="new-password"
      />
      {error ? <ErrorNotice title="Setup failed" message={error} /> : null}
      <Button type="submit" className="w-full" disabled={setup.isPending || !hydrated}>
        {setup.isPending ? "Creating…" : "Create owner and team"}
      </Button>
    </form>
  );
}
