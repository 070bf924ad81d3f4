import { getAgentRelease } from "@capstan/core/agents/get-agent-release";
import { listFleet } from "@capstan/core/fleet/list-fleet";
import { requestAgentUpgrades } from "@capstan/core/fleet/request-agent-upgrades";
import { auditActor } from "@capstan/core/rbac/team-actor";
import { z } from "zod";
import { createTRPCRouter, teamProcedure } from "../init";

/** The served agent build and the upgrade deadline; imported on use, so tests need no full env. */
async function fleetSettings() {
  const [{ env }, { agentDistDir }] = await Promise.all([import("@/env"), import("@/server/agent/engine")]);
  return { distDir: agentDistDir(), deadlineSeconds: env.CAPSTAN_AGENT_UPGRADE_DEADLINE_SECONDS };
}

export const fleetRouter = createTRPCRouter({
  /** Agent versions across the team's hosts against the build this control plane serves. */
  get: teamProcedure("VIEWER").query(async ({ ctx }) => {
    const { distDir } = await fleetSettings();
    return listFleet(ctx.prisma, { teamId: ctx.actor.teamId, release: await getAgentRelease(distDir) });
  }),
  /** Orders the hosts' agents to upgrade to the served build; hosts that cannot are skipped with a reason. */
  upgrade: teamProcedure("ADMIN")
    .input(z.object({ hostIds: z.array(z.string().max(64)).min(1).max(1000) }))
    .mutation(async ({ ctx, input }) => {
      const { distDir, deadlineSeconds } = await fleetSettings();
      return requestAgentUpgrades(ctx.prisma, {
        teamId: ctx.actor.teamId,
        hostIds: input.hostIds,
        actor: auditActor(ctx.actor),
        release: await getAgentRelease(distDir),
        deadlineSeconds,
      });
    }),
});
