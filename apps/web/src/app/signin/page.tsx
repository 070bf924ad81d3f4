import { getSetupStatus } from "@capstan/core/auth/get-setup-status";
import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { connection } from "next/server";
import { callbackPath } from "@/app/api/auth/callback-url";
import { AuthCard } from "@/components/auth-card";
import { signInErrorMessage } from "@/lib/sign-in-error";
import { getSessionUserId } from "@/server/auth";
import { prisma } from "@/server/db";
import { oidcButtonLabel, passwordSignIn } from "@/server/oidc";
import { OidcSignIn } from "./oidc-sign-in";
import { SignInForm } from "./signin-form";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await connection();
  if ((await getSetupStatus(prisma)).needsSetup) redirect("/setup");
  const params = await searchParams;
  // Only a path on this site is followed after sign-in; the base only anchors relative values.
  const callbackUrl = callbackPath(params.callbackUrl, "http://capstan.invalid");
  if (await getSessionUserId()) redirect(callbackUrl);
  const error = signInErrorMessage(Array.isArray(params.error) ? params.error[0] : params.error);
  const oidcLabel = oidcButtonLabel();
  return (
    <AuthCard title="Sign in to Capstan">
      {oidcLabel ? <OidcSignIn label={oidcLabel} callbackUrl={callbackUrl} /> : null}
      {oidcLabel && passwordSignIn ? <p className="my-4 text-center text-xs text-slate-500">or</p> : null}
      {passwordSignIn ? (
        <SignInForm callbackUrl={callbackUrl} initialError={error} />
      ) : error ? (
        <p
          role="alert"
          className="mt-4 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800"
        >
          {error}
        </p>
      ) : null}
    </AuthCard>
  );
}
