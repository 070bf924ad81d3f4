// The argv of commands a workflow runs besides the service itself (release commands, scheduled
// tasks): never a shell string, one line per argument, a program without '..'. Its own module so
// spec.ts and task-spec.ts (which spec.ts imports) can share it.
import { z } from "zod";

const singleLineArgument = z
  .string()
  .max(4096)
  .refine((v) => !/[\0\r\n]/.test(v), "must be a single line (no newline, carriage return or NUL)");

export const commandArgvSchema = z
  .array(singleLineArgument)
  .min(1)
  .max(64)
  .superRefine((argv, ctx) => {
    const program = argv[0];
    if (program === undefined) return;
    if (!/^(\/|[A-Za-z0-9_.])[A-Za-z0-9._/+-]*$/.test(program) || program.split("/").includes(".."))
      ctx.addIssue({
        code: "custom",
        path: [0],
        message:
          "the program must be an absolute path, a relative path without '..', or a program name (letters, digits and . _ / + -)",
      });
  });
