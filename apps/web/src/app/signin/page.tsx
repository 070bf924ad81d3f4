import { getSetupStatus } from "@capstan/core/auth/get-setup-status";
import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { connection } from "next/server";
import { AuthCard } from "@/components/auth-card";
import { signInErrorMessage } from "@/lib/sign-in-error";
import { getSessionUserId } from "@/server/auth";
import { prisma } from "@/server/db";
import { SignInForm } from "./signin-form";

export const metadata: Metadata = { title: "Sign in" };

/** Only same-site paths are followed after sign-in, never another origin. */
function safeCallback(value: string | string[] | undefined): string {
  const path = Array.isArray(value) ? value[0] : value;
  return path && /^\/(?![/\\])/.test(path) ? path : "/";
}

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await connection();
  if ((await getSetupStatus(prisma)).needsSetup) redirect("/setup");
  const params = await searchParams;
  const callbackUrl = safeCallback(params.callbackUrl);
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
