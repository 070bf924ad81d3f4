// Public API shapes of host housekeeping: resources, the image prune, open alerts
// (docs/user/operations.md, "Housekeeping and alerts").
import { z } from "zod";
import { hostPruneReportSchema, hostResourcesSchema } from "../housekeeping";

const timestamp = z.string().meta({ format: "date-time" });

export const hostHousekeepingSchema = z
  .object({
    resources: hostResourcesSchema.nullable(),
    resourcesAt: timestamp.nullable(),
    prunePendingSince: timestamp.nullable(),
    lastPrune: hostPruneReportSchema.nullable(),
    alerts: z.array(
      z.object({
        id: z.string(),
        kind: z.string().meta({ description: "disk, memory or restart-loop" }),
        subject: z.string(),
        detail: z.string(),
        openedAt: timestamp,
      }),
    ),
  })
  .meta({ id: "HostHousekeeping" });

export const hostPruneRequestSchema = z
  .object({
    orderId: z.string(),
    requestedAt: timestamp,
    alreadyPending: z.boolean().meta({ description: "true when an earlier request was still pending" }),
  })
  .meta({ id: "HostPruneRequest" });
