// Periodic work that every replica schedules but that should run once per interval across all of
// them (the reaper: lease expiry, deadlines, offline hosts, rollout settling). Each replica's
// timer asks for the lease; one statement takes it only when the previous holder's interval has
// passed, so two replicas ticking at the same moment cannot both win (the row lock orders them
// and the loser's WHERE no longer matches). Time is the database's clock, the one every replica
// shares. A replica that dies holding it costs at most one interval: the lease simply expires.
import { hostname } from "node:os";
import type { Db } from "../db";

/** Who takes the lease: visible in the table for operators. */
export const LEASE_HOLDER = `${hostname()}:${process.pid}`;

/**
 * Takes the lease `name` for `seconds` when it is free (never taken, or its interval is over).
 * True when this caller won it and should run the pass now.
 */
export async function takeEngineLease(
  db: Db,
  args: { name: string; seconds: number; holder?: string },
): Promise<boolean> {
  const rows = await db.$queryRaw<{ name: string }[]>`
    INSERT INTO "EngineLease" AS l (name, holder, "until", "updatedAt")
    VALUES (${args.name}, ${args.holder ?? LEASE_HOLDER}, now() + make_interval(secs => ${args.seconds}), now())
    ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, "until" = EXCLUDED."until", "updatedAt" = now()
    WHERE l."until" <= now()
    RETURNING name`;
  return rows.length === 1;
}
