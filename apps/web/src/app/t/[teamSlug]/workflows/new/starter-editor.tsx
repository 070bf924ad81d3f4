"use client";
// The new-workflow editor, prefilled with the starter aimed at the team's hosts: waits for the
// host list so the editor starts from the right text (it keeps its own copy once shown).
import { useQuery } from "@tanstack/react-query";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Spinner } from "@/components/ui";
import { useTRPC } from "@/trpc/client";
import { STARTER_WORKFLOW, starterWorkflowFor } from "../common-fields";
import { WorkflowEditor } from "../workflow-editor";

export function StarterEditor() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const hosts = useQuery(trpc.hosts.list.queryOptions({ teamId: team.id }));
  if (hosts.isPending) return <Spinner label="Loading hosts" />;
  // Without the list (an error) the fresh-install starter is still a good start.
  const names = hosts.data?.filter((h) => h.status !== "REVOKED").map((h) => h.name);
  return <WorkflowEditor initialSource={names ? starterWorkflowFor(names) : STARTER_WORKFLOW} />;
}
