// One pino logger for the whole agent. Redaction is a safety net: code never passes secret values
// to the logger in the first place.
import pino, { type Logger } from "pino";

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name: "capstan-agent",
      level,
      base: undefined,
      redact: {
        paths: [
          "token",
          "*.token",
          "enrollmentToken",
          "*.enrollmentToken",
          "secrets",
          "*.secrets",
          "env",
          "*.env",
          "privateKey",
          "*.privateKey",
          "authorization",
          "*.authorization",
          "headers.authorization",
        ],
        censor: "[redacted]",
      },
    },
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
}
