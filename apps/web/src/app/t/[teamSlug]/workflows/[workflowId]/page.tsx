import type { Metadata } from "next";
import { WorkflowOverview } from "./workflow-overview";

export const metadata: Metadata = { title: "Workflow" };

export default async function WorkflowPage({
  params,
  searchParams,
}: {
  params: Promise<{ workflowId: string }>;
  searchParams: Promise<{ created?: string }>;
}) {
  const { workflowId } = await params;
  // Set by the editor right after "Create workflow": the page offers to deploy what was just saved.
  const justCreated = (await searchParams).created === "1";
  return <WorkflowOverview workflowId={workflowId} justCreated={justCreated} />;
}
