// The EnvironmentFile of a Capstan systemd service: the service's `env` plus its resolved secret
// values. The agent writes it with mode 0600; this is the only place secret values go.
import { ENV_NAME_PATTERN } from "../workflow/spec";
import { quoteEnvironmentFileValue, RenderError } from "./escape";

export function renderEnvironmentFile(
  env: Record<string, string>,
  secrets: Record<string, string> = {},
): string {
  const lines = ["# Rendered by Capstan. Mode 0600: it holds secret values."];
  const seen = new Set<string>();
  for (const [source, values] of [
    ["env", env],
    ["secrets", secrets],
  ] as const) {
    for (const [key, value] of Object.entries(values)) {
      if (!ENV_NAME_PATTERN.test(key)) throw new RenderError(`${source}: invalid variable name`);
      if (seen.has(key)) throw new RenderError(`${source}.${key} is set twice`);
      seen.add(key);
      // The error names the key only: the value may be a secret.
      lines.push(`${key}=${quoteEnvironmentFileValue(value, `${source}.${key}`)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
