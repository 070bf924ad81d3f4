import type { EnvironmentCaller } from "../environments/require-environment-role";
import { environmentCaller, type TeamActor } from "../rbac/team-actor";
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

/** Whose per-environment roles narrow a token's call: its creator's, with the token's role. */
export function tokenCaller(principal: ApiTokenPrincipal): EnvironmentCaller {
  return environmentCaller(tokenTeamActor(principal));
}
