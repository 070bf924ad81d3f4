import type { Db } from "../db";
import { type EnrollmentTokenView, toEnrollmentTokenView } from "./enrollment-token-view";

/** Newest first; never includes the token or its hash. */
export async function listEnrollmentTokens(
  db: Db,
  args: { teamId: string; limit?: number },
): Promise<EnrollmentTokenView[]> {
  const rows = await db.enrollmentToken.findMany({
    where: { teamId: args.teamId },
    orderBy: { createdAt: "desc" },
    take: Math.min(Math.max(args.limit ?? 100, 1), 500),
  });
  const now = new Date();
  return rows.map((row) => toEnrollmentTokenView(row, now));
}
