import { getSetupStatus } from "@capstan/core/auth/get-setup-status";
import { canCreateTeams } from "@capstan/core/teams/can-create-teams";
import { listMyTeams } from "@capstan/core/teams/list-my-teams";
import Link from "next/link";
import { redirect } from "next/navigation";
import { connection } from "next/server";
import { AuthCard } from "@/components/auth-card";
import { SignOutButton } from "@/components/sign-out-button";
import { getSessionUserId } from "@/server/auth";
import { prisma } from "@/server/db";

// A fresh install goes to setup; afterwards to sign-in or the first team's dashboard.
export default async function Home() {
  await connection();
  if ((await getSetupStatus(prisma)).needsSetup) redirect("/setup");
  const userId = await getSessionUserId();
  if (!userId) redirect("/signin");
  const teams = await listMyTeams(prisma, userId);
  if (teams[0]) redirect(`/t/${teams[0].slug}`);
  const creation = await canCreateTeams(prisma, userId);
  return (
    <AuthCard title="No team yet" subtitle="Your account is not a member of any team.">
      <p className="text-sm text-slate-600">
        Ask a team admin for an invitation link, then open it while signed in.
      </p>
      {creation.allowed ? (
        <Link href="/teams/new" className="mt-4 block text-sm font-medium text-sky-700 underline">
          Create a team
        </Link>
      ) : null}
      {creation.instanceAdmin ? (
        <Link href="/instance" className="mt-2 block text-sm font-medium text-sky-700 underline">
          Instance administration
        </Link>
      ) : null}
      <div className="mt-6">
        <SignOutButton />
      </div>
    </AuthCard>
  );
}
