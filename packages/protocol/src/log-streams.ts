// Live logs between agent and control plane (docs/user/operations.md "Live logs"). A viewer opens a
// stream; the agent learns of it from a long-poll of its own (separate from the job poll, so
// logs flow while a deploy runs), follows the service's container logs or unit journal and posts
// line batches. The answer to every batch (and to a keep-alive batch without lines, every ~2 s)
// says whether a viewer is still there; when none is, the agent stops the stream.
import { z } from "zod";
import { isoDateSchema, nameSchema, serviceKindSchema, uuidSchema } from "./common";

/** Streams one host runs at once; the control plane refuses more, the agent never runs more. */
export const MAX_LOG_STREAMS_PER_HOST = 8;
/** Longest line kept (characters); longer lines are cut and marked. */
export const MAX_LOG_LINE_CHARS = 8192;
export const MAX_LOG_LINES_PER_BATCH = 500;
export const MAX_LOG_TAIL = 5000;

/** `since` as the agent receives it: absolute, UTC, to the second. */
export const LOG_SINCE_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/**
 * What to follow. Every field is checked again by the agent before it reaches the Engine API
 * or journalctl's argv. The text filter never leaves the control plane: it runs there on masked
 * lines (a filter on unmasked text would tell a viewer whether a secret contains a string).
 */
export const logStreamOptionsSchema = z.object({
  follow: z.boolean(),
  tail: z.number().int().min(0).max(MAX_LOG_TAIL),
  since: z.string().regex(LOG_SINCE_PATTERN, "since must be an ISO date in UTC").optional(),
  /** Compose: which of the container's streams. */
  streams: z.enum(["stdout", "stderr", "both"]),
  /** systemd/Nix: journal priority, 0 (emerg) to 7 (debug): this one and more urgent. */
  priority: z.number().int().min(0).max(7).optional(),
});
export type LogStreamOptions = z.infer<typeof logStreamOptionsSchema>;

export const logStreamOrderSchema = z.object({
  id: uuidSchema,
  workflow: nameSchema,
  service: nameSchema,
  kind: serviceKindSchema,
  options: logStreamOptionsSchema,
});
export type LogStreamOrder = z.infer<typeof logStreamOrderSchema>;

/** POST /api/agent/v1/log-streams/poll: answered at once when a viewer opens a stream here. */
export const logOrdersRequestSchema = z.object({
  waitSeconds: z.number().min(0).max(60).optional(),
  /** The streams this agent runs now; the answer says which of them to stop. */
  running: z.array(uuidSchema).max(MAX_LOG_STREAMS_PER_HOST * 2),
});
export type LogOrdersRequest = z.infer<typeof logOrdersRequestSchema>;

export const logOrdersResponseSchema = z.object({
  open: z.array(logStreamOrderSchema).max(MAX_LOG_STREAMS_PER_HOST),
  stop: z.array(uuidSchema),
  serverTime: isoDateSchema,
});
export type LogOrdersResponse = z.infer<typeof logOrdersResponseSchema>;

export const logLineSchema = z.object({
  at: isoDateSchema,
  /** stdout/stderr for containers, journal for units (with its priority). */
  stream: z.enum(["stdout", "stderr", "journal", "capstan"]),
  priority: z.number().int().min(0).max(7).optional(),
  text: z.string().max(MAX_LOG_LINE_CHARS + 32),
});
export type LogLine = z.infer<typeof logLineSchema>;

/** POST /api/agent/v1/log-streams/{streamId}/lines: a batch (maybe empty: a keep-alive). */
export const postLogLinesRequestSchema = z.object({
  /** Per stream, from 0; a re-sent batch is stored once. */
  seq: z.number().int().min(0),
  lines: z.array(logLineSchema).max(MAX_LOG_LINES_PER_BATCH),
  /** Set on the last batch when the stream ended on the host (not following, service gone, error). */
  ended: z.string().max(500).optional(),
});
export type PostLogLinesRequest = z.infer<typeof postLogLinesRequestSchema>;

export const postLogLinesResponseSchema = z.object({
  /** false: no viewer is left (or the stream is unknown); stop following. */
  open: z.boolean(),
});
export type PostLogLinesResponse = z.infer<typeof postLogLinesResponseSchema>;

/**
 * Replaces every secret value in the text by ***, longest first (a value that contains another
 * is masked whole). The agent uses it for deploy logs, the control plane for live logs.
 */
export function maskSecrets(text: string, secrets: Record<string, string> | readonly string[]): string {
  const values = (Array.isArray(secrets) ? [...secrets] : Object.values(secrets))
    .filter((v) => v.length > 0)
    .sort((a, b) => b.length - a.length);
  return values.reduce((out, value) => out.replaceAll(value, "***"), text);
}
