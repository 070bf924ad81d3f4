import type { Metadata } from "next";
import { DeploymentsIcon } from "@/components/dashboard/icons";
import { EmptyState, PageHeader } from "@/components/ui";

export const metadata: Metadata = { title: "Deployments" };

export default function DeploymentsPage() {
  return (
    <>
      <PageHeader title="Deployments" description="Revisions applied to their target hosts." />
      <EmptyState icon={<DeploymentsIcon />} title="No deployments yet">
        <p>
          Deploy a workflow revision and follow each host's progress here. Deployments are gated on health and
          every job has a deadline, so nothing stays queued forever.
        </p>
      </EmptyState>
    </>
  );
}
