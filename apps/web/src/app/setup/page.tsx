import { getSetupStatus } from "@capstan/core/auth/get-setup-status";
import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { connection } from "next/server";
import { AuthCard } from "@/components/auth-card";
import { prisma } from "@/server/db";
import { SetupForm } from "./setup-form";

export const metadata: Metadata = { title: "Set up Capstan" };

export default async function SetupPage() {
  await connection();
  // Setup exists only on a fresh install; afterwards people sign in or join by invitation.
  if (!(await getSetupStatus(prisma)).needsSetup) redirect("/signin");
  return (
    <AuthCard
      title="Welcome to Capstan"
      subtitle="Create the first owner account and your team. You can invite others later."
    >
      <SetupForm />
    </AuthCard>
  );
}
