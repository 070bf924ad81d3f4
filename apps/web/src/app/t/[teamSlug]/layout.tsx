import { isAppError } from "@capstan/core/errors";
import { getTeam, type TeamView } from "@capstan/core/teams/get-team";
import { listMyTeams } from "@capstan/core/teams/list-my-teams";
import type { Metadata } from "next";
import { notFound, redirect } from "next/navigation";
import { cache, type ReactNode } from "react";
import { DashboardShell } from "@/components/dashboard/shell";
import { getSessionUserId } from "@/server/auth";
import { prisma } from "@/server/db";

// One membership check per request, shared by the title and the layout.
const teamFor = cache((userId: string, slug: string) => getTeam(prisma, userId, { slug }));

/** "Hosts · <team> · Capstan": the team's name only for its members (others get the plain title). */
export async function generateMetadata({
  params,
}: {
  params: Promise<{ teamSlug: string }>;
}): Promise<Metadata> {
  const { teamSlug } = await params;
  const userId = await getSessionUserId();
  const team = userId ? await teamFor(userId, teamSlug).catch(() => null) : null;
  if (!team) return {};
  return { title: { template: `%s · ${team.name} · Capstan`, default: `${team.name} · Capstan` } };
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
  const user = await prisma.user.findUnique({ where: { id: userId }, select: { email: true, name: true } });
  if (!user) redirect("/signin");
  let team: TeamView;
  try {
    team = await teamFor(userId, teamSlug);
  } catch (error) {
    if (isAppError(error) && error.code === "NOT_FOUND") notFound();
    throw error;
  }
  const teams = await listMyTeams(prisma, userId);
  return (
    <DashboardShell
      team={{ id: team.id, slug: team.slug, name: team.name, role: team.role }}
      teams={teams.map((t) => ({ slug: t.slug, name: t.name }))}
      user={user}
    >
      {children}
    </DashboardShell>
  );
}
