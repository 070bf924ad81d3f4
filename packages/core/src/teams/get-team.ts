import type { Role } from "@capstan/db";
import type { Db } from "../db";
import { notFound } from "../errors";
import { isUuid } from "../ids";
import { TEAM_SLUG } from "./slugify-team-name";

export interface TeamView {
  id: string;
  name: string;
  slug: string;
  createdAt: Date;
  /** The caller's role in this team. */
  role: Role;
  /** New hosts wait for an ADMIN's approval before they get jobs. */
  approveNewHosts: boolean;
  /** Members without two-factor are sent to enrol before they see the team. */
  requireTwoFactor: boolean;
  counts: { members: number; hosts: number; workflows: number; deployments: number };
}

type TeamKey = { teamId: string } | { slug: string };

/** The team as the given user sees it; a team they do not belong to is "not found". */
export async function getTeam(db: Db, userId: string, key: TeamKey): Promise<TeamView> {
  if ("slug" in key ? !TEAM_SLUG.test(key.slug) : !isUuid(key.teamId)) throw notFound("Team");
  const team = await db.team.findUnique({
    where: "slug" in key ? { slug: key.slug } : { id: key.teamId },
    include: {
      memberships: { where: { userId }, select: { role: true } },
      _count: { select: { memberships: true, hosts: true, workflows: true, deployments: true } },
    },
  });
  const membership = team?.memberships[0];
  if (!team || !membership) throw notFound("Team");
  return {
    id: team.id,
    name: team.name,
    slug: team.slug,
    createdAt: team.createdAt,
    role: membership.role,
    approveNewHosts: team.approveNewHosts,
    requireTwoFactor: team.requireTwoFactor,
    counts: {
      members: team._count.memberships,
      hosts: team._count.hosts,
      workflows: team._count.workflows,
      deployments: team._count.deployments,
    },
  };
}
