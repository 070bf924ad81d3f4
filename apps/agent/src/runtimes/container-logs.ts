// The last lines of containers' logs through the Engine API, for the deploy log when a release
// fails its health gate: what the service itself said about why it is not healthy.
import type { DockerHost } from "../docker";

const MAX_LINE = 1000;
const LOGS_TIMEOUT_MS = 10_000;

/**
 * Without a TTY the Engine multiplexes stdout and stderr: frames of an 8-byte header (stream,
 * 0, 0, 0, big-endian size) and the payload. With a TTY the bytes come raw.
 */
export function demultiplex(buffer: Buffer, tty: boolean): string {
  if (tty) return buffer.toString("utf8");
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(at + 4);
    parts.push(buffer.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString("utf8");
}

/** Lines safe to show: control characters (terminal escapes) stripped, long lines cut. */
export function cleanLines(text: string, max: number): string[] {
  return text
    .split(/\r?\n|\r/)
    .map((line) => line.replace(/\p{Cc}/gu, "").slice(0, MAX_LINE))
    .filter((line) => line.trim())
    .slice(-max);
}

/** Up to `lines` last lines of every container with the labels, each prefixed with its service. */
export async function containerLogs(
  docker: DockerHost,
  labels: string[],
  lines: number,
  signal?: AbortSignal,
): Promise<string[]> {
  const engine = await docker.engine();
  const timeout = AbortSignal.timeout(LOGS_TIMEOUT_MS);
  const abortSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const containers = await engine.listContainers({ all: true, filters: { label: labels } });
  const out: string[] = [];
  for (const summary of containers) {
    const container = engine.getContainer(summary.Id);
    const info = await container.inspect();
    const name = summary.Labels?.["com.docker.compose.service"] ?? info.Name.replace(/^\//, "");
    const raw = await container.logs({ stdout: true, stderr: true, follow: false, tail: lines, abortSignal });
    for (const line of cleanLines(demultiplex(Buffer.from(raw), info.Config.Tty), lines))
      out.push(`${name}: ${line}`);
  }
  return out;
}
