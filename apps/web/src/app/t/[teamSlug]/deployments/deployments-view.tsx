"use client";
import { useState } from "react";
import { PageHeader } from "@/components/ui";
import { DeployButton } from "./deploy-dialog";
import { DeploymentList, NoDeployments, StatusFilter } from "./deployment-list";

export function DeploymentsView() {
  const [filter, setFilter] = useState<Parameters<typeof StatusFilter>[0]["value"]>("");
  return (
    <>
      <PageHeader
        title="Deployments"
        description="Revisions applied to their target hosts, newest first."
        actions={<DeployButton />}
      />
      <div className="mb-4 flex justify-end">
        <StatusFilter value={filter} onChange={setFilter} />
      </div>
      <DeploymentList
        filter={filter}
        live
        empty={
          filter ? (
            <p className="rounded-md border border-slate-200 bg-white p-6 text-center text-sm text-slate-600">
              No deployments match this filter.
            </p>
          ) : (
            <NoDeployments />
          )
        }
      />
    </>
  );
}
