import type { Metadata } from "next";
import { PageHeader } from "@/components/ui";
import { StarterEditor } from "./starter-editor";

export const metadata: Metadata = { title: "New workflow" };

export default function NewWorkflowPage() {
  return (
    <>
      <PageHeader
        title="New workflow"
        description="Start from this example or paste your capstan.yaml. Problems are shown at their line as you type."
      />
      <StarterEditor />
    </>
  );
}
