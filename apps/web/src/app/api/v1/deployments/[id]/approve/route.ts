import { tokenTeamActor } from "@capstan/core/api-tokens/token-team-actor";
import { approveDeployment } from "@capstan/core/approvals/approve-deployment";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { deploymentActionRoute } from "@/server/api/deployment-action-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = deploymentActionRoute(endpoints.approveDeployment, (principal, id) =>
  approveDeployment(prisma, tokenTeamActor(principal), id),
);
