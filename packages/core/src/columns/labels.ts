// Host.labels and EnrollmentToken.labels: a flat string map (what enrollment and update-host
// write). Read through the schema, never cast: strict where a label picks deploy targets,
// lenient where it is only shown.
import { z } from "zod";

const labelsSchema = z.record(z.string(), z.string());
export type Labels = z.output<typeof labelsSchema>;

/** Labels a decision depends on (target selection); throws, naming the problem, when unreadable. */
export function readLabels(value: unknown): Labels {
  const result = labelsSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new Error(
    `a host's stored labels are unreadable (${issue.path.join(".") || "labels"}: ${issue.message})`,
  );
}

/** Labels for display: unreadable ones show as none rather than failing the page. */
export function displayLabels(value: unknown): Labels {
  const result = labelsSchema.safeParse(value);
  return result.success ? result.data : {};
}
