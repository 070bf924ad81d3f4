import type { Membership } from "@capstan/db";
import type { Db } from "../db";
import { notFound } from "../errors";
import { isUuid } from "../ids";

/** A membership of this team; one from another team answers exactly like a missing one. */
export async function getMember(db: Db, teamId: string, membershipId: string): Promise<Membership> {
  if (!isUuid(membershipId)) throw notFound("Member");
  const membership = await db.membership.findFirst({ where: { id: membershipId, teamId } });
  if (!membership) throw notFound("Member");
  return membership;
}
