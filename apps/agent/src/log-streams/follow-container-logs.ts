// Follows the containers of a Compose project through the Engine API: stdout and stderr kept
// apart (demultiplexed), the last N lines, since a time, each line stamped by the Engine. Every
// option is a typed Engine API parameter: nothing reaches a shell.

import { createInterface } from "node:readline";
import { PassThrough, type Readable } from "node:stream";
import { type LogLine, type LogStreamOptions, MAX_LOG_LINE_CHARS } from "@capstan/protocol";
import type { DockerHost } from "../docker";

export type LineSink = (line: LogLine) => void;

const STAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?Z /;

/** Cuts a line to the protocol's length and strips terminal control characters. */
export function cleanLine(text: string): string {
  const clean = text.replace(/\p{Cc}/gu, "");
  return clean.length > MAX_LOG_LINE_CHARS ? `${clean.slice(0, MAX_LOG_LINE_CHARS)} [cut]` : clean;
}

function pipeLines(
  input: Readable,
  stream: "stdout" | "stderr",
  prefix: string,
  sink: LineSink,
): Promise<void> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on("line", (raw) => {
    const stamp = STAMP.exec(raw);
    const at = stamp ? `${stamp[1]}${(stamp[2] ?? "").slice(0, 4)}Z` : new Date().toISOString();
    sink({ at, stream, text: cleanLine(`${prefix}${stamp ? raw.slice(stamp[0].length) : raw}`) });
  });
  return new Promise((resolve) => lines.once("close", resolve));
}

/**
 * Resolves with why it ended (not following, containers gone) or when `signal` aborts. With
 * several containers each line is prefixed with its Compose service.
 */
export async function followContainerLogs(
  docker: DockerHost,
  project: string,
  options: LogStreamOptions,
  sink: LineSink,
  signal: AbortSignal,
): Promise<string> {
  const engine = await docker.engine();
  const containers = await engine.listContainers({
    all: true,
    filters: { label: [`com.docker.compose.project=${project}`, "com.docker.compose.oneoff=False"] },
  });
  if (!containers.length) return `no containers of ${project} on this host`;
  const since = options.since ? Math.floor(Date.parse(options.since) / 1000) : 0;
  const follows = containers.map(async (summary) => {
    const container = engine.getContainer(summary.Id);
    const info = await container.inspect();
    const prefix =
      containers.length > 1
        ? `${summary.Labels?.["com.docker.compose.service"] ?? summary.Id.slice(0, 12)}: `
        : "";
    const raw = (await container.logs({
      follow: options.follow,
      stdout: options.streams !== "stderr",
      stderr: options.streams !== "stdout",
      tail: options.tail,
      since,
      timestamps: true,
      abortSignal: signal,
    } as never)) as unknown as Readable | Buffer;
    const source: Readable = Buffer.isBuffer(raw) ? PassThrough.from([raw]) : raw;
    signal.addEventListener("abort", () => source.destroy(), { once: true });
    if (info.Config.Tty) return pipeLines(source, "stdout", prefix, sink);
    const out = new PassThrough();
    const err = new PassThrough();
    engine.modem.demuxStream(source, out, err);
    const ended = () => {
      out.end();
      err.end();
    };
    source.once("end", ended);
    source.once("close", ended);
    source.once("error", ended);
    await Promise.all([pipeLines(out, "stdout", prefix, sink), pipeLines(err, "stderr", prefix, sink)]);
  });
  await Promise.allSettled(follows);
  if (signal.aborted) return "stopped";
  return options.follow ? "the containers stopped" : "end of the requested lines";
}
