import { canCreateTeams } from "@capstan/core/teams/can-create-teams";
import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { AuthCard } from "@/components/auth-card";
import { getSessionUserId } from "@/server/auth";
import { prisma } from "@/server/db";
import { NewTeamForm } from "./new-team-form";

export const metadata: Metadata = { title: "New team" };

// Who may create teams is an instance setting; the use case checks it again on submit.
export default async function NewTeamPage() {
  const userId = await getSessionUserId();
  if (!userId) redirect(`/signin?callbackUrl=${encodeURIComponent("/teams/new")}`);
  const { allowed } = await canCreateTeams(prisma, userId);
  return (
    <AuthCard title="New team" subtitle="You become its owner; invite others from its Team page.">
      {allowed ? (
        <NewTeamForm />
      ) : (
        <p className="text-sm text-slate-600">
          Only instance admins may create teams on this Capstan. Ask one to create it for you, or to let
          everyone create teams (Instance, Settings).
        </p>
      )}
      <Link href="/" className="mt-6 block text-sm font-medium text-sky-700 underline">
        Back
      </Link>
    </AuthCard>
  );
}
