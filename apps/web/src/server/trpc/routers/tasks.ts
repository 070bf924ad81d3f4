import { listWorkflowTasks } from "@capstan/core/tasks/list-workflow-tasks";
import { z } from "zod";
import { createTRPCRouter, teamProcedure } from "../init";

export const tasksRouter = createTRPCRouter({
  /** The workflow's scheduled tasks on every host, with their newest runs. */
  list: teamProcedure("VIEWER")
    .input(z.object({ workflowId: z.string().max(64) }))
    .query(({ ctx, input }) =>
      listWorkflowTasks(ctx.prisma, { teamId: ctx.actor.teamId, workflowId: input.workflowId }),
    ),
});
