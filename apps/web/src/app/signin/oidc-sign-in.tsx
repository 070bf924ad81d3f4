"use client";
import { signIn } from "next-auth/react";
import { useState } from "react";
import { Button } from "@/components/ui";
import { useHydrated } from "@/lib/use-hydrated";

/** The identity provider's button (CAPSTAN_OIDC_*): NextAuth takes the browser there and back. */
export function OidcSignIn({ label, callbackUrl }: { label: string; callbackUrl: string }) {
  const [pending, setPending] = useState(false);
  const hydrated = useHydrated();
  return (
    <Button
      type="button"
      variant="secondary"
      className="w-full"
      disabled={pending || !hydrated}
      onClick={() => {
        setPending(true);
        void signIn("oidc", { callbackUrl });
      }}
    >
      {pending ? "Redirecting…" : label}
    </Button>
  );
}
