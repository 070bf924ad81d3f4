import type { Metadata } from "next";
import { TeamSecrets } from "./team-secrets";

export const metadata: Metadata = { title: "Team secrets" };

export default function TeamSecretsPage() {
  return <TeamSecrets />;
}
