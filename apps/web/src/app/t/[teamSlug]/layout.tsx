import { isAppError } from "@capstan/core/errors";
import { canCreateTeams } from "@capstan/core/teams/can-create-teams";
import type { TeamView } from "@capstan/core/teams/get-team";
import { listMyTeams } from "@capstan/core/teams/list-my-teams";
import type { Metadata } from "next";
import { notFound, redirect } from "next/navigation";
import type { ReactNode } from "react";
import { DashboardShell } from "@/components/dashboard/shell";
import { getSessionUserId } from "@/server/auth";
import { prisma } from "@/server/db";
import { teamFor, teamNameForTitle } from "./team-for-request";

/**
 * "Hosts · <team> · Capstan" for the pages below (a template does not reach the page beside the
 * layout: the overview sets its own). Only members see the team's name.
 */
export async function generateMetadata({
  params,
}: {
  params: Promise<{ teamSlug: string }>;
}): Promise<Metadata> {
  const name = await teamNameForTitle((await params).teamSlug);
  return name ? { title: { template: `%s · ${name} · Capstan`, default: `${name} · Capstan` } } : {};
}

// The team comes from the URL; membership is checked in the database on every request, and a
// team the user is not in answers 404 just like a missing one.
export default async function TeamLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ teamSlug: string }>;
}) {
  const { teamSlug } = await params;
  const userId = await getSessionUserId();
  if (!userId) redirect(`/signin?callbackUrl=${encodeURIComponent(`/t/${teamSlug}`)}`);
  const found = await prisma.user.findUnique({
    where: { id: userId },
    select: { email: true, name: true, totpEnabledAt: true },
  });
  if (!found) redirect("/signin");
  const { totpEnabledAt, ...user } = found;
  let team: TeamView;
  try {
    team = await teamFor(userId, teamSlug);
  } catch (error) {
    if (isAppError(error) && error.code === "NOT_FOUND") notFound();
    throw error;
  }
  if (team.requireTwoFactor && !totpEnabledAt)
    redirect(`/account/two-factor?team=${encodeURIComponent(team.slug)}`);
  const [teams, creation] = await Promise.all([listMyTeams(prisma, userId), canCreateTeams(prisma, userId)]);
  return (
    <DashboardShell
      team={{ id: team.id, slug: team.slug, name: team.name, role: team.role }}
      teams={teams.map((t) => ({ slug: t.slug, name: t.name, role: t.role }))}
      user={user}
      instance={{ canCreateTeams: creation.allowed, instanceAdmin: creation.instanceAdmin }}
    >
      {children}
    </DashboardShell>
  );
}
