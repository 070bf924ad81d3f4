// An environment picks hosts by labels, in the syntax of a workflow's `targets.selector` (every
// label must match). People type it as `env=production, tier=web`; it is stored as a flat map.
import { LABEL_KEY_PATTERN, LABEL_VALUE_PATTERN } from "@capstan/templates/workflow/spec";
import { z } from "zod";
import { parseColumn } from "../columns/parse-column";
import { badRequest } from "../errors";

const selectorSchema = z.record(z.string(), z.string());
export type Selector = z.output<typeof selectorSchema>;

/** `key=value` pairs separated by commas or spaces; at least one, each key once. */
export function parseSelector(text: string): Selector {
  const pairs = text.split(/[\s,]+/).filter(Boolean);
  if (pairs.length === 0 || pairs.length > 20)
    throw badRequest("Give 1 to 20 labels as key=value, e.g. env=production.");
  const selector: Selector = {};
  for (const pair of pairs) {
    const [key = "", value, ...rest] = pair.split("=");
    if (
      value === undefined ||
      rest.length > 0 ||
      !LABEL_KEY_PATTERN.test(key) ||
      !LABEL_VALUE_PATTERN.test(value)
    )
      throw badRequest(
        `"${pair.slice(0, 80)}" is not a label: write key=value (keys: lowercase letters, digits and . _ / -; values: letters, digits and . _ -).`,
      );
    if (key in selector)
      throw badRequest(`The label ${key} is given twice; an environment matches one value per label.`);
    selector[key] = value;
  }
  return selector;
}

export function readSelector(value: unknown): Selector {
  return parseColumn(selectorSchema, value, "an environment's selector column", "selector");
}

export function formatSelector(selector: Selector): string {
  return Object.entries(selector)
    .map(([key, value]) => `${key}=${value}`)
    .join(", ");
}
