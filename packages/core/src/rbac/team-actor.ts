import type { Role } from "@capstan/db";
import type { Actor } from "../audit/record-audit-event";

/** The caller of a team-scoped use case, with the role the RBAC middleware just loaded. */
export interface TeamActor {
  teamId: string;
  userId: string;
  email: string;
  role: Role;
}

export function auditActor(actor: TeamActor): Actor {
  return { type: "USER", id: actor.userId, label: actor.email };
}
