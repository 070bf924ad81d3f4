// The allow-list of procedures that may skip the team RBAC middleware, and the check that finds
// any other procedure without it (run by rbac-coverage.test.ts).
import type { AnyProcedure, AnyRouter } from "@trpc/server";
import { instanceRbac, teamRbac } from "../src/server/trpc/init";

/** Public: callable without signing in. Keep tiny; each needs a reason. */
export const PUBLIC_PROCEDURES: ReadonlySet<string> = new Set([
  "setup.status", // the sign-in page asks whether the install is fresh
  "setup.createFirstOwner", // no user exists yet; the use case refuses once one does
  "invitation.get", // holding the invitation secret is the authorisation
  "invitation.acceptAsNewUser", // same
  "passwordReset.get", // holding the one-time reset secret is the authorisation
  "passwordReset.complete", // same
]);

/** User-level: signed in, but not about one team's data. */
export const USER_LEVEL_PROCEDURES: ReadonlySet<string> = new Set([
  "team.listMine",
  "team.creationRight",
  "team.create", // the use case checks the instance setting "who may create teams"
  "invitation.acceptAsMe",
  // the caller's own account: two-factor enrolment
  "twoFactor.status",
  "twoFactor.begin",
  "twoFactor.confirm",
  "twoFactor.disable",
  // The caller's own account (/account): sessions and password, by the session's user id only.
  "account.sessions",
  "account.revokeSession",
  "account.changePassword",
]);

/** Instance procedures: guarded by `instanceRbac` (instance admins) instead of a team role. */
export const INSTANCE_PROCEDURES: ReadonlySet<string> = new Set([
  "instance.teams",
  "instance.users",
  "instance.audit",
  "instance.settings",
  "instance.setSettings",
  "instance.setInstanceAdmin",
]);

/**
 * Paths of procedures that neither run `teamRbac` with a minimum role nor appear in `allowed`,
 * and instance procedures (INSTANCE_PROCEDURES) that do not run `instanceRbac`.
 */
export function findUnguardedProcedures(router: AnyRouter, allowed: ReadonlySet<string>): string[] {
  const procedures = router._def.procedures as Record<string, AnyProcedure>;
  return Object.entries(procedures)
    .filter(([path, procedure]) => {
      // The resolved definition keeps its middleware chain, though the public type hides it.
      const def = procedure._def as unknown as { middlewares: unknown[]; meta?: { minRole?: string } };
      if (INSTANCE_PROCEDURES.has(path)) return !def.middlewares.includes(instanceRbac);
      const guarded = def.middlewares.includes(teamRbac) && def.meta?.minRole !== undefined;
      return !guarded && !allowed.has(path);
    })
    .map(([path]) => path)
    .sort();
}
