import { isAppError } from "@capstan/core/errors";
import { getPasswordReset } from "@capstan/core/password-resets/find-password-reset";
import type { Metadata } from "next";
import { connection } from "next/server";
import { AuthCard } from "@/components/auth-card";
import { prisma } from "@/server/db";
import { ResetPasswordForm } from "./reset-password-form";

export const metadata: Metadata = { title: "Reset password" };

export default async function ResetPasswordPage({ params }: { params: Promise<{ token: string }> }) {
  await connection();
  const { token } = await params;
  let reset: { email: string };
  try {
    reset = await getPasswordReset(prisma, token);
  } catch (error) {
    if (!isAppError(error)) throw error;
    return (
      <AuthCard title="Reset link not usable">
        <p role="alert" className="text-sm text-slate-700">
          {error.code === "NOT_FOUND"
            ? "This reset link is not valid. Check that you copied all of it, or ask your team admin for a new one."
            : error.message}
        </p>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Choose a new password" subtitle={`For ${reset.email}. This signs you out everywhere.`}>
      <ResetPasswordForm token={token} email={reset.email} />
    </AuthCard>
  );
}
