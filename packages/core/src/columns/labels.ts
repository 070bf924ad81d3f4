// Host.labels and EnrollmentToken.labels: a flat string map (what enrollment and update-host
// write). Read through the schema, never cast: strict where a label picks deploy targets,
// lenient where it is only shown.
import { z } from "zod";
import { parseColumn, parseColumnOr } from "./parse-column";

const labelsSchema = z.record(z.string(), z.string());
type Labels = z.output<typeof labelsSchema>;

/** Labels a decision depends on (target selection); throws, naming the problem, when unreadable. */
export function readLabels(value: unknown): Labels {
  return parseColumn(labelsSchema, value, "a host's labels column", "labels");
}

export function displayLabels(value: unknown): Labels {
  return parseColumnOr(labelsSchema, value, {});
}
