// Scheduled tasks (`services.<name>.tasks`): a command run in the service's context on a systemd
// calendar schedule. Declared per service because a task runs as that service (its release, user,
// hardening, or its Compose image and environment) and lives and dies with it on each host: it is
// installed by the service's deploy step, switched back by its rollback and removed with it.
// The schedule and command reach unit files, so both are allowlisted here and escaped again
// where they are rendered (systemd/render-task-units.ts).
import { z } from "zod";
import { commandArgvSchema } from "./argv-spec";

/** The same pattern as NAME_PATTERN in spec.ts (which imports this file). */
export const TASK_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * A systemd calendar expression (`OnCalendar=`): `daily`, `Mon..Fri 03:00`, `*-*-* 04:00:00`,
 * `*:0/15`, `Sat,Sun 10:00 Europe/Berlin`. An allowlist of characters: no newline (a second
 * directive), no `%` (specifiers), no `;`, quotes, `$` or backslashes.
 */
export const TASK_SCHEDULE_PATTERN = /^[A-Za-z0-9*][A-Za-z0-9*:/.,~_ -]{0,127}$/;

export const DEFAULT_TASK_TIMEOUT_SECONDS = 3600;
export const MAX_TASK_TIMEOUT_SECONDS = 24 * 3600;
export const MAX_TASKS_PER_SERVICE = 16;

export const taskSpecSchema = z.strictObject({
  schedule: z
    .string()
    .regex(
      TASK_SCHEDULE_PATTERN,
      'must be a systemd calendar expression such as "daily", "Mon..Fri 03:00" or "*:0/15" (letters, digits, spaces and * : / . , ~ _ - only)',
    )
    .refine((s) => s.trim() === s && !s.includes("  "), "must not end with a space or contain double spaces"),
  /** argv, never a shell string; where the program may live depends on the kind (check-tasks.ts). */
  command: commandArgvSchema,
  /** Compose only: the Compose service whose image and settings run the task. */
  service: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, "must be the name of a service in the Compose file")
    .optional(),
  timeoutSeconds: z.number().int().min(1).max(MAX_TASK_TIMEOUT_SECONDS).default(DEFAULT_TASK_TIMEOUT_SECONDS),
  /** Send the `task.failed` webhook event when a run fails. */
  notifyOnFailure: z.boolean().default(false),
});
export type TaskSpec = z.output<typeof taskSpecSchema>;

export const tasksSchema = z
  .record(
    z
      .string()
      .regex(
        TASK_NAME_PATTERN,
        "task names must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit",
      ),
    taskSpecSchema,
  )
  .refine(
    (t) => Object.keys(t).length <= MAX_TASKS_PER_SERVICE,
    `at most ${MAX_TASKS_PER_SERVICE} tasks per service`,
  );

/**
 * `capstan-<workflow>-<service>.task-<task>`: service units never contain a dot, so a task unit
 * can never take a service's name, and the service's own prefix finds all its tasks.
 */
export function taskUnitPrefix(workflow: string, service: string): string {
  return `capstan-${workflow}-${service}.task-`;
}
export function taskUnitBase(workflow: string, service: string, task: string): string {
  return `${taskUnitPrefix(workflow, service)}${task}`;
}
