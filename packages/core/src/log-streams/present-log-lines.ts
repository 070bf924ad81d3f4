// What a viewer gets of a batch: every secret value of the workflow masked, then the text filter
// applied to the masked text (so a filter cannot probe a secret), control characters removed.
import { type LogLine, maskSecrets } from "@capstan/protocol";

export function presentLogLines(
  lines: readonly LogLine[],
  secrets: readonly string[],
  grep?: string,
): LogLine[] {
  const needle = grep?.toLowerCase();
  const out: LogLine[] = [];
  for (const line of lines) {
    const text = maskSecrets(line.text, secrets).replace(/\p{Cc}/gu, "");
    if (needle && line.stream !== "capstan" && !text.toLowerCase().includes(needle)) continue;
    out.push({ ...line, text });
  }
  return out;
}
