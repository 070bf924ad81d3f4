import pino from "pino";
import { env } from "@/env";

// Field names that may carry secrets are censored wherever they appear in a log object.
export const logger = pino({
  // Validation is skipped during `next build`, where defaults are not applied.
  level: env.LOG_LEVEL ?? "info",
  base: { service: "capstan-web" },
  redact: {
    paths: [
      "password",
      "*.password",
      "token",
      "*.token",
      "secret",
      "*.secret",
      "value",
      "*.value",
      "authorization",
      "*.authorization",
      "headers.cookie",
      "*.headers.cookie",
    ],
    censor: "[redacted]",
  },
});
