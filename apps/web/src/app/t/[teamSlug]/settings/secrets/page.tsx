import type { Metadata } from "next";
import { PageHeader } from "@/components/ui";
import { TeamSecrets } from "./team-secrets";
import { TeamVariables } from "./team-variables";

export const metadata: Metadata = { title: "Variables and secrets" };

export default function TeamSecretsPage() {
  return (
    <div className="space-y-10">
      <PageHeader
        title="Variables and secrets"
        description="Shared by every workflow of the team: plain variables, named in env values, and write-only secrets, named in a workflow's secrets."
      />
      <TeamVariables />
      <TeamSecrets />
    </div>
  );
}
