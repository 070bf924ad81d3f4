// The public API's day-2 operations on a host's services: list them, undeploy a workflow, run a
// one-off command, and read a deployment's log (how a command's output is followed).
import { NAME_PATTERN } from "@capstan/templates";
import { z } from "zod";
import { hostDetailSchema, JOB_STATES, STEP_STATES } from "./schemas";

const timestamp = z.string().meta({ format: "date-time" });
const id = z.string().meta({ format: "uuid" });
const name = z
  .string()
  .regex(NAME_PATTERN, "names are lower-case letters, digits and -, up to 63 characters");

export const hostServicesSchema = z
  .object({
    host: z.object({ id, name: z.string() }),
    items: z.array(
      hostDetailSchema.shape.services.element.extend({
        revision: z.number().int().nullable().meta({ description: "The revision last deployed there." }),
        reloadable: z.boolean().meta({ description: "Whether `reload` is possible for this service." }),
      }),
    ),
  })
  .meta({ id: "HostServices" });

export const undeployBodySchema = z
  .object({
    workflow: name,
    removeVolumes: z.boolean().default(false).meta({
      description: "Also delete the services' named volumes and data folders (ADMIN only). Kept by default.",
    }),
    confirm: z.string().max(200).optional().meta({
      description: "With removeVolumes: the workflow's name, typed again; anything else is a 422.",
    }),
  })
  .meta({ id: "UndeployRequest" });

export const runCommandBodySchema = z
  .object({
    workflow: name,
    service: name,
    argv: z
      .array(z.string().min(1).max(4096))
      .min(1)
      .max(64)
      .meta({ description: "The program and its arguments, each one argument (never a shell string)." }),
    timeoutSeconds: z.number().int().min(1).max(3600).default(300),
  })
  .meta({ id: "RunCommandRequest" });

export const deploymentEventsQuerySchema = z.object({
  cursor: z
    .string()
    .max(100_000)
    .optional()
    .meta({ description: "The `cursor` of the previous page: continue after it." }),
});

export const deploymentEventsSchema = z
  .object({
    events: z.array(
      z.object({
        jobId: id,
        hostName: z.string(),
        seq: z.number().int(),
        at: timestamp,
        type: z.string(),
        service: z.string().nullable(),
        level: z.string().nullable(),
        message: z.string(),
      }),
    ),
    cursor: z.string(),
    more: z.boolean(),
    progress: z.object({
      status: z.string(),
      final: z.boolean(),
      jobs: z.array(
        z.object({
          id,
          state: z.enum(JOB_STATES),
          steps: z.array(z.object({ service: z.string(), state: z.enum(STEP_STATES) })),
        }),
      ),
    }),
  })
  .meta({ id: "DeploymentEvents" });
