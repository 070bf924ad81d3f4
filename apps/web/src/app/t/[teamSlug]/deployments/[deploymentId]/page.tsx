import type { Metadata } from "next";
import { DeploymentDetail } from "./deployment-detail";

export const metadata: Metadata = { title: "Deployment" };

export default async function DeploymentPage({ params }: { params: Promise<{ deploymentId: string }> }) {
  const { deploymentId } = await params;
  return <DeploymentDetail deploymentId={deploymentId} />;
}
