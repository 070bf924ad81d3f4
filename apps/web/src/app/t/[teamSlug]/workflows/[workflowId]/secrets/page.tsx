import type { Metadata } from "next";
import { SecretsManager } from "./secrets-manager";

export const metadata: Metadata = { title: "Workflow secrets" };

export default async function WorkflowSecretsPage({ params }: { params: Promise<{ workflowId: string }> }) {
  const { workflowId } = await params;
  return <SecretsManager workflowId={workflowId} />;
}
