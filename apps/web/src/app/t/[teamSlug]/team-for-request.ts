// The team of a /t/<slug> request, looked up once per request (React's cache) for the layout and
// the page titles. Membership is checked: a non-member gets NOT_FOUND, never the team's name.
import "server-only";
import { getTeam } from "@capstan/core/teams/get-team";
import { cache } from "react";
import { getSessionUserId } from "@/server/auth";
import { prisma } from "@/server/db";

export const teamFor = cache((userId: string, slug: string) => getTeam(prisma, userId, { slug }));

/** The team's name for the signed-in member, or null (signed out, not a member, no such team). */
export async function teamNameForTitle(slug: string): Promise<string | null> {
  const userId = await getSessionUserId();
  const team = userId ? await teamFor(userId, slug).catch(() => null) : null;
  return team?.name ?? null;
}
