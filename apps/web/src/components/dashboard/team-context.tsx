"use client";
import { createContext, type ReactNode, useContext } from "react";

export interface CurrentTeam {
  id: string;
  slug: string;
  name: string;
  role: "OWNER" | "ADMIN" | "DEPLOYER" | "VIEWER";
}

const TeamContext = createContext<CurrentTeam | null>(null);

export function TeamProvider({ team, children }: { team: CurrentTeam; children: ReactNode }) {
  return <TeamContext.Provider value={team}>{children}</TeamContext.Provider>;
}

/** The team of the current /t/[teamSlug] page. Its role is for display; the server re-checks. */
export function useCurrentTeam(): CurrentTeam {
  const team = useContext(TeamContext);
  if (!team) throw new Error("useCurrentTeam outside a team page");
  return team;
}
