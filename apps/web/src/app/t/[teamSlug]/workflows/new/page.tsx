import type { Metadata } from "next";
import { PageHeader } from "@/components/ui";
import { findTemplate } from "@/server/templates";
import { WorkflowEditor } from "../workflow-editor";
import { StarterEditor } from "./starter-editor";

export const metadata: Metadata = { title: "New workflow" };

export default async function NewWorkflowPage({
  searchParams,
}: {
  searchParams: Promise<{ template?: string }>;
}) {
  const template = findTemplate((await searchParams).template);
  return (
    <>
      <PageHeader
        title={template ? `New workflow from ${template.title}` : "New workflow"}
        description={
          template
            ? "Review the template: set its name and target hosts, adjust ports and env. After creating it, fill in its secrets."
            : "Start from this example or paste your capstan.yaml. Problems are shown at their line as you type."
        }
      />
      {template ? (
        <WorkflowEditor
          initialSource={template.source}
          template={{ slug: template.slug, hasSecrets: template.secrets.length > 0 }}
        />
      ) : (
        <StarterEditor />
      )}
    </>
  );
}
