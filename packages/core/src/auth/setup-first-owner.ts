import { hashPassword } from "@capstan/db/passwords";
import { recordAuditEvent, userActor } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { AppError } from "../errors";
import { checkTeamName, slugifyTeamName } from "../teams/slugify-team-name";
import { checkPasswordPolicy } from "../users/check-password-policy";
import { createUser } from "../users/create-user";
import { normalizeEmail } from "../users/normalize-email";
import { findSetupCode } from "./setup-code";
import { ADDRESS_RULE, addressKey, claimAttempt, clearAttempts, type ThrottleRule } from "./sign-in-throttle";

export interface SetupFirstOwnerInput {
  email: string;
  name?: string | null;
  password: string;
  teamName: string;
  /** The one-time code from the server log (see setup-code.ts). */
  setupCode: string;
  /** The client's address, for the attempt throttle; null skips it. */
  address?: string | null;
  /** Tests shorten the throttle. */
  rule?: ThrottleRule;
}

export interface SetupFirstOwnerResult {
  user: { id: string; email: string };
  team: { id: string; name: string; slug: string };
}

// Any constant works; it only has to be the same in every control-plane process.
const SETUP_LOCK_KEY = 0x63617073; // "caps"

/**
 * Creates the first user as OWNER of the first team, only while no user exists and only with a
 * setup code from the server log (checked after a throttled claim, before anything else). Two
 * concurrent calls serialise on a transaction-scoped advisory lock, so exactly one wins; the
 * other sees the user and gets CONFLICT. The codes are deleted with the owner's creation.
 */
export async function setupFirstOwner(db: Db, input: SetupFirstOwnerInput): Promise<SetupFirstOwnerResult> {
  const email = normalizeEmail(input.email);
  const teamName = checkTeamName(input.teamName);
  const slug = slugifyTeamName(teamName);
  checkPasswordPolicy(input.password);
  const throttleKey = input.address ? addressKey("setup", input.address) : null;
  if (throttleKey) await claimAttempt(db, throttleKey, input.rule ?? ADDRESS_RULE, "setup attempts");
  const codeId = await findSetupCode(db, input.setupCode);
  if (throttleKey) await clearAttempts(db, throttleKey);
  const passwordHash = await hashPassword(input.password);

  return withTransaction(db, async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SETUP_LOCK_KEY}::bigint)`;
    if (await tx.user.findFirst({ select: { id: true } })) {
      throw new AppError("CONFLICT", "Capstan is already set up. Sign in instead.");
    }
    // Single use: the code must still be there (a finished setup removed it) and goes with all others.
    const { count } = await tx.setupCode.deleteMany({ where: { id: codeId } });
    if (count !== 1) throw new AppError("CONFLICT", "This setup code was already used. Sign in instead.");
    await tx.setupCode.deleteMany({});
    const user = await createUser(tx, { email, name: input.name, passwordHash, instanceAdmin: true });
    const team = await tx.team.create({ data: { name: teamName, slug } });
    await tx.membership.create({ data: { teamId: team.id, userId: user.id, role: "OWNER" } });
    await recordAuditEvent(tx, {
      teamId: team.id,
      actor: userActor(user),
      kind: "setup.completed",
      target: { type: "team", id: team.id },
      data: { teamName, ownerEmail: email },
    });
    return {
      user: { id: user.id, email: user.email },
      team: { id: team.id, name: team.name, slug: team.slug },
    };
  });
}
