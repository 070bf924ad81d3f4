import { getSetupStatus } from "@capstan/core/auth/get-setup-status";
import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { connection } from "next/server";
import { callbackPath } from "@/app/api/auth/callback-url";
import { AuthCard } from "@/components/auth-card";
import { signInErrorMessage } from "@/lib/sign-in-error";
import { getSessionUserId } from "@/server/auth";
import { prisma } from "@/server/db";
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
  return (
    <AuthCard title="Sign in to Capstan">
      <SignInForm
        callbackUrl={callbackUrl}
        initialError={signInErrorMessage(Array.isArray(params.error) ? params.error[0] : params.error)}
      />
    </AuthCard>
  );
}
