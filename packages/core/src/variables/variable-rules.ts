// What a team variable's name and value may be. Names follow the secret-name rule (both become
// environment variable names); values land in the agent's .env and EnvironmentFile renderers,
// whose formats cannot carry a line break.
import { SECRET_NAME_PATTERN } from "@capstan/templates";
import { badRequest } from "../errors";
import { reservedSecretNameProblem } from "../secrets/secret-rules";

export const MAX_VARIABLE_VALUE_BYTES = 4 * 1024;

export function checkVariableName(name: string): void {
  if (!SECRET_NAME_PATTERN.test(name))
    throw badRequest(
      `${JSON.stringify(name.slice(0, 140))} is not a variable name: use upper-case letters, digits and _ (like DB_HOST), up to 128 characters.`,
    );
}

/** For names being written: the pattern, and never Capstan's reserved prefix. */
export function checkWritableVariableName(name: string): void {
  checkVariableName(name);
  const problem = reservedSecretNameProblem(name);
  if (problem) throw badRequest(problem);
}

export function checkVariableValue(name: string, value: string): void {
  if (value.length === 0)
    throw badRequest(`${name} is empty; delete the variable instead of saving an empty value.`);
  if (Buffer.byteLength(value, "utf8") > MAX_VARIABLE_VALUE_BYTES)
    throw badRequest(
      `${name} is larger than ${MAX_VARIABLE_VALUE_BYTES / 1024} KiB; variables are short settings.`,
    );
  if (/[\0\r\n]/.test(value))
    throw badRequest(
      `${name} must be a single line (no newline, carriage return or NUL): hosts receive variables in .env and systemd EnvironmentFile files, which cannot carry line breaks.`,
    );
}
