import { tokenTeamActor } from "@capstan/core/api-tokens/token-team-actor";
import { rejectDeployment } from "@capstan/core/approvals/reject-deployment";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { deploymentActionRoute } from "@/server/api/deployment-action-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = deploymentActionRoute(endpoints.rejectDeployment, (principal, id) =>
  rejectDeployment(prisma, tokenTeamActor(principal), id),
);
