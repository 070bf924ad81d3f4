// The two ways a JSON column is read: strict where a decision depends on it, lenient where it is
// only shown (an unreadable value shows as the fallback rather than failing the page).
import type { z } from "zod";

/** Throws, naming the first problem (`field` when it is the value itself), when `value` no longer matches. */
export function parseColumn<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
  field: string,
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new Error(`${what} is unreadable (${issue.path.join(".") || field}: ${issue.message})`);
}

export function parseColumnOr<T extends z.ZodType, F = z.output<T>>(
  schema: T,
  value: unknown,
  fallback: F,
): z.output<T> | F {
  const result = schema.safeParse(value);
  return result.success ? result.data : fallback;
}
