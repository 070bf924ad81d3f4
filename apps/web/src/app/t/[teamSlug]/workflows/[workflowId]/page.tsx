import type { Metadata } from "next";
import { WorkflowOverview } from "./workflow-overview";

export const metadata: Metadata = { title: "Workflow" };

export default async function WorkflowPage({ params }: { params: Promise<{ workflowId: string }> }) {
  const { workflowId } = await params;
  return <WorkflowOverview workflowId={workflowId} />;
}
