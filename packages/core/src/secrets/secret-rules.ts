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
