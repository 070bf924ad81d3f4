import type { Metadata } from "next";
import { WorkflowsIcon } from "@/components/dashboard/icons";
import { EmptyState, PageHeader } from "@/components/ui";

export const metadata: Metadata = { title: "Workflows" };

export default function WorkflowsPage() {
  return (
    <>
      <PageHeader
        title="Workflows"
        description="Deployable definitions: Compose stacks and systemd services."
      />
      <EmptyState icon={<WorkflowsIcon />} title="No workflows yet">
        <p>
          A workflow is a capstan.yaml describing one or more services, their health checks and the hosts they
          run on. Every edit becomes an immutable revision you can deploy or roll back to.
        </p>
      </EmptyState>
    </>
  );
}
