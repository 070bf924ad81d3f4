// What a secret name and value may be. Names double as environment variable names (the workflow
// spec's pattern); values must survive the agent's .env and EnvironmentFile renderers, which
// refuse line breaks and NUL.
import { SECRET_NAME_PATTERN } from "@capstan/templates";
import { badRequest } from "../errors";

export const MAX_SECRET_VALUE_BYTES = 64 * 1024;
export const MAX_SECRETS_PER_WRITE = 500;

export function checkSecretName(name: string): void {
  if (!SECRET_NAME_PATTERN.test(name)) {
    throw badRequest(
      "Secret names are upper-case letters, digits and _ (like DB_PASSWORD), up to 128 characters.",
    );
  }
}

/** Capstan's own settings (the agent's environment, the install script) use this prefix. */
export const RESERVED_SECRET_PREFIX = "CAPSTAN_";

export function reservedSecretNameProblem(name: string): string | null {
  if (!name.startsWith(RESERVED_SECRET_PREFIX)) return null;
  const suggestion = name.slice(RESERVED_SECRET_PREFIX.length) || "VALUE";
  return `${name}: names starting with ${RESERVED_SECRET_PREFIX} are reserved for Capstan's own settings; rename it (for example APP_${suggestion}).`;
}

/** For names being written: the pattern, and never the reserved prefix (reading old ones still works). */
export function checkWritableSecretName(name: string): void {
  checkSecretName(name);
  const problem = reservedSecretNameProblem(name);
  if (problem) throw badRequest(problem);
}

/** Returns a problem description naming only the secret, or null when the value is acceptable. */
export function secretValueProblem(name: string, value: string): string | null {
  if (value.length === 0) return `${name} is empty; delete the secret instead of saving an empty value.`;
  if (Buffer.byteLength(value, "utf8") > MAX_SECRET_VALUE_BYTES) {
    return `${name} is larger than ${MAX_SECRET_VALUE_BYTES / 1024} KiB.`;
  }
  if (value.includes("\0")) return `${name} contains a NUL character.`;
  if (/[\r\n]/.test(value)) {
    return `${name} spans several lines; secrets are single-line (base64-encode multi-line values such as PEM keys).`;
  }
  return null;
}

export function checkSecretValue(name: string, value: string): void {
  const problem = secretValueProblem(name, value);
  if (problem) throw badRequest(problem);
}
