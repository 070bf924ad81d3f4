import type { Metadata } from "next";
import { EditWorkflow } from "./edit-workflow";

export const metadata: Metadata = { title: "Edit workflow" };

export default async function EditWorkflowPage({ params }: { params: Promise<{ workflowId: string }> }) {
  const { workflowId } = await params;
  return <EditWorkflow workflowId={workflowId} />;
}
