import type { Prisma, Role } from "@capstan/db";
import { type Actor, recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { hasRole } from "../rbac/roles";
import { normalizeEmail } from "../users/normalize-email";
import type { OidcGroupRole } from "./parse-oidc-group-roles";

export interface OidcSignInInput {
  /** The issuer (subjects are unique per issuer): with `subject` it names the identity for good. */
  provider: string;
  /** The IdP's stable user id (`sub`; GitHub's numeric id). */
  subject: string;
  email: string | null;
  /** Only `true` counts: a missing or string value is unverified. */
  emailVerified: unknown;
  name: string | null;
  /** The groups claim; null when the IdP sent none (treated as no groups). */
  groups: string[] | null;
  mapping: OidcGroupRole[];
  address?: string | null;
}

export type OidcRefusal = "no_email" | "unverified_email" | "no_team";
export type OidcSignInResult = { ok: true; userId: string } | { ok: false; reason: OidcRefusal };

/**
 * Resolves an IdP identity to a Capstan user. A known identity signs in as its user; a new one is
 * linked to the user with the same email only when the IdP says the email is verified (an IdP
 * that lets people type any address must not hand them someone's account), and a user is created
 * only when the group mapping gives them a team (nobody ends up signed in to nothing). The
 * mapping is then applied: see applyGroupRoles.
 */
export async function signInWithOidc(db: Db, input: OidcSignInInput): Promise<OidcSignInResult> {
  return withTransaction(db, async (tx) => {
    const where = {
      provider_providerAccountId: { provider: input.provider, providerAccountId: input.subject },
    };
    const known = await tx.account.findUnique({
      where,
      select: { user: { select: { id: true, email: true } } },
    });
    let user = known?.user ?? null;
    let how: "known" | "linked" | "created" = "known";
    if (!user) {
      let email: string;
      try {
        email = normalizeEmail(input.email ?? "");
      } catch {
        return { ok: false, reason: "no_email" } as const;
      }
      user = await tx.user.findUnique({ where: { email }, select: { id: true, email: true } });
      if (input.emailVerified !== true) {
        if (user)
          await auditSignIn(tx, user, "user.sign_in_failed", {
            ...context(input),
            reason: "unverified_email",
          });
        return { ok: false, reason: "unverified_email" } as const;
      }
      how = "linked";
      if (!user) {
        if ((await groupRoles(tx, input)).roles.size === 0) return { ok: false, reason: "no_team" } as const;
        user = await tx.user.create({
          data: { email, name: input.name?.trim() || null, emailVerified: new Date() },
          select: { id: true, email: true },
        });
        how = "created";
      }
      await tx.account.create({
        data: { userId: user.id, type: "oauth", provider: input.provider, providerAccountId: input.subject },
      });
    }
    await applyGroupRoles(tx, user.id, { type: "USER", id: user.id, label: user.email }, input);
    await auditSignIn(tx, user, "user.signed_in", { ...context(input), account: how });
    return { ok: true, userId: user.id } as const;
  });
}

function context(input: OidcSignInInput): Prisma.InputJsonObject {
  const data = { method: "oidc", provider: input.provider };
  return input.address ? { ...data, ip: input.address } : data;
}

/** A sign-in (or a refused one) in each of the user's teams, as password sign-ins are. */
async function auditSignIn(
  tx: Prisma.TransactionClient,
  user: { id: string; email: string },
  kind: "user.signed_in" | "user.sign_in_failed",
  data: Prisma.InputJsonObject,
): Promise<void> {
  const teams = await tx.membership.findMany({ where: { userId: user.id }, select: { teamId: true } });
  for (const teamId of teams.length > 0 ? teams.map((m) => m.teamId) : [null]) {
    await recordAuditEvent(tx, {
      teamId,
      actor: { type: "USER", id: user.id, label: user.email },
      kind,
      target: { type: "user", id: user.id },
      data,
    });
  }
}

/**
 * The teams the mapping names that exist, and for each the highest role the user's groups map
 * to there (absent: no group held for that team).
 */
async function groupRoles(tx: Prisma.TransactionClient, input: OidcSignInInput) {
  const held = new Set(input.groups ?? []);
  const slugs = [...new Set(input.mapping.map((m) => m.teamSlug))];
  const teams = slugs.length
    ? await tx.team.findMany({ where: { slug: { in: slugs } }, select: { id: true, slug: true } })
    : [];
  const roles = new Map<string, Role>();
  for (const team of teams) {
    for (const entry of input.mapping) {
      if (entry.teamSlug !== team.slug || !held.has(entry.group)) continue;
      const current = roles.get(team.id);
      if (!current || !hasRole(current, entry.role)) roles.set(team.id, entry.role);
    }
  }
  return { teamIds: teams.map((t) => t.id), roles };
}

/**
 * Makes the user's memberships in the teams the mapping names match their groups at this
 * sign-in: a group gives its role (the highest when several match); a membership the mapping
 * gave is removed when the group is gone; one made by invitation is left alone until a group
 * maps to that team, from then on the mapping owns it. The OWNER is never changed.
 */
async function applyGroupRoles(
  tx: Prisma.TransactionClient,
  userId: string,
  actor: Actor,
  input: OidcSignInInput,
): Promise<void> {
  const { teamIds, roles } = await groupRoles(tx, input);
  if (teamIds.length === 0) return;
  const memberships = await tx.membership.findMany({ where: { userId, teamId: { in: teamIds } } });
  const target = { type: "user", id: userId };
  for (const teamId of teamIds) {
    const membership = memberships.find((m) => m.teamId === teamId);
    const role = roles.get(teamId);
    if (membership?.role === "OWNER") continue;
    if (role && !membership) {
      await tx.membership.create({ data: { teamId, userId, role, oidcGroup: true } });
      await recordAuditEvent(tx, {
        teamId,
        actor,
        kind: "member.joined",
        target,
        data: { role, via: "oidc_group" },
      });
    } else if (role && membership && (membership.role !== role || !membership.oidcGroup)) {
      await tx.membership.update({ where: { id: membership.id }, data: { role, oidcGroup: true } });
      if (membership.role !== role) {
        await recordAuditEvent(tx, {
          teamId,
          actor,
          kind: "member.role_changed",
          target,
          data: { from: membership.role, to: role, via: "oidc_group" },
        });
      }
    } else if (!role && membership?.oidcGroup) {
      await tx.membership.delete({ where: { id: membership.id } });
      await recordAuditEvent(tx, {
        teamId,
        actor,
        kind: "member.removed",
        target,
        data: { role: membership.role, via: "oidc_group" },
      });
    }
  }
}
