import type { Role } from "@capstan/db";
import type { Actor } from "../audit/record-audit-event";
import type { EnvironmentCaller } from "../environments/require-environment-role";

/** The caller of a team-scoped use case, with the role the RBAC middleware just loaded. */
export interface TeamActor {
  teamId: string;
  userId: string;
  email: string;
  role: Role;
  /**
   * Set when a team API token acts (public HTTP API): audit events then name the token, and
   * `userId` is the token's creator (the person accountable for it, e.g. as a revision's author).
   */
  apiToken?: { id: string; name: string };
}

export function auditActor(actor: TeamActor): Actor {
  if (actor.apiToken) return { type: "API_TOKEN", id: actor.apiToken.id, label: actor.apiToken.name };
  return { type: "USER", id: actor.userId, label: actor.email };
}

/** Whose per-environment roles apply: the member (for a token, its creator) with the role just loaded. */
export function environmentCaller(actor: TeamActor): EnvironmentCaller {
  return { userId: actor.userId, role: actor.role };
}
