"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import type { FormEvent } from "react";
import { Button, ErrorNotice, Field } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

export function NewTeamForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const create = useMutation(
    trpc.team.create.mutationOptions({
      onSuccess: (team) => {
        router.push(`/t/${team.slug}`);
        router.refresh();
      },
    }),
  );

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    create.mutate({ name: String(form.get("teamName")), slug: String(form.get("teamSlug")) || null });
  }

  return (
    <form method="post" onSubmit={onSubmit} className="space-y-4">
      <Field id="teamName" label="Team name" required maxLength={80} placeholder="Platform" />
      <Field
        id="teamSlug"
        label="Address (optional)"
        maxLength={63}
        pattern="[a-z0-9][a-z0-9\-]*"
        spellCheck={false}
        hint="Lower-case letters, digits and dashes, used in URLs (/t/<address>). Made from the name when empty."
      />
      {create.isError ? <ErrorNotice title="Team not created" message={errorMessage(create.error)} /> : null}
      <Button type="submit" disabled={create.isPending || create.isSuccess} className="w-full">
        {create.isPending ? "Creating…" : "Create team"}
      </Button>
    </form>
  );
}
