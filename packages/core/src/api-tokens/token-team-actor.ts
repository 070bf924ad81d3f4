import type { TeamActor } from "../rbac/team-actor";
import type { ApiTokenPrincipal } from "./authenticate-api-token";

/** An API token as a team actor: it acts for its creator, with the token's (re-read) role. */
export function tokenTeamActor(principal: ApiTokenPrincipal): TeamActor {
  return {
    teamId: principal.teamId,
    userId: principal.userId,
    email: principal.name,
    role: principal.role,
    apiToken: { id: principal.tokenId, name: principal.name },
  };
}
