import type { Metadata } from "next";
import { findTemplate } from "@/server/templates";
import { SecretsManager } from "./secrets-manager";
import { TemplateSecretHints } from "./template-secret-hints";

export const metadata: Metadata = { title: "Workflow secrets" };

export default async function WorkflowSecretsPage({
  params,
  searchParams,
}: {
  params: Promise<{ workflowId: string }>;
  searchParams: Promise<{ template?: string }>;
}) {
  const { workflowId } = await params;
  const template = findTemplate((await searchParams).template);
  return (
    <>
      {template && template.secrets.length > 0 ? (
        <TemplateSecretHints title={template.title} secrets={template.secrets} />
      ) : null}
      <SecretsManager workflowId={workflowId} />
    </>
  );
}
