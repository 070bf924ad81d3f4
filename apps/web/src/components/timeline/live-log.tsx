"use client";
// The deployment's log, streamed live over Server-Sent Events (/api/deployments/:id/events).
// EventSource reconnects by itself and resumes from the last batch's id (the cursor), so a
// dropped connection neither loses nor repeats lines.
import { clsx } from "clsx";
import { useEffect, useRef, useState } from "react";

export interface LogLine {
  jobId: string;
  hostName: string;
  seq: number;
  at: string;
  type: string;
  service: string | null;
  level: string | null;
  message: string;
}

export interface StreamProgress {
  status: string;
  final: boolean;
  jobs: { id: string; state: string; steps: { service: string; state: string }[] }[];
}

type Connection = "connecting" | "live" | "reconnecting" | "ended" | "failed";

const MAX_LINES = 5000;

export function useDeploymentEvents(
  teamId: string,
  deploymentId: string,
  onProgress?: (progress: StreamProgress) => void,
) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [connection, setConnection] = useState<Connection>("connecting");
  const [problem, setProblem] = useState<string | null>(null);
  const progressRef = useRef(onProgress);
  progressRef.current = onProgress;

  useEffect(() => {
    setLines([]);
    setConnection("connecting");
    const source = new EventSource(
      `/api/deployments/${encodeURIComponent(deploymentId)}/events?teamId=${encodeURIComponent(teamId)}`,
    );
    source.onopen = () => setConnection("live");
    source.addEventListener("events", (e) => {
      const batch = JSON.parse((e as MessageEvent<string>).data) as LogLine[];
      setLines((prev) => {
        const next = prev.concat(batch);
        return next.length > MAX_LINES ? next.slice(next.length - MAX_LINES) : next;
      });
    });
    source.addEventListener("progress", (e) => {
      progressRef.current?.(JSON.parse((e as MessageEvent<string>).data) as StreamProgress);
    });
    source.addEventListener("end", () => {
      setConnection("ended");
      source.close();
    });
    source.addEventListener("failure", (e) => {
      setProblem((JSON.parse((e as MessageEvent<string>).data) as { message: string }).message);
      setConnection("failed");
      source.close();
    });
    source.onerror = () => {
      // A refused request (401/404) closes the source for good; a dropped one retries.
      if (source.readyState === EventSource.CLOSED) {
        setConnection((c) => (c === "ended" ? c : "failed"));
        setProblem((p) => p ?? "The log stream could not be opened. Reload to try again.");
      } else setConnection("reconnecting");
    };
    return () => source.close();
  }, [teamId, deploymentId]);

  return { lines, connection, problem };
}

const LEVEL_CLASS: Record<string, string> = {
  error: "text-red-400",
  warn: "text-amber-300",
  info: "text-slate-200",
  debug: "text-slate-400",
};

const timeOfDay = new Intl.DateTimeFormat("en", {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});

export function LiveLog({
  lines,
  connection,
  problem,
}: {
  lines: LogLine[];
  connection: Connection;
  problem: string | null;
}) {
  const hosts = [...new Set(lines.map((l) => l.hostName))].sort();
  const [host, setHost] = useState("");
  const [follow, setFollow] = useState(true);
  const boxRef = useRef<HTMLDivElement>(null);
  const shown = host ? lines.filter((l) => l.hostName === host) : lines;

  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll when new lines arrive
  useEffect(() => {
    const box = boxRef.current;
    if (box && follow) box.scrollTop = box.scrollHeight;
  }, [shown.length, follow]);

  return (
    <div>
      <div className="mb-2 flex flex-wrap items-center justify-between gap-2 text-sm">
        <span className="inline-flex items-center gap-2 text-slate-600" aria-live="polite">
          <span
            className={clsx(
              "inline-block h-2 w-2 rounded-full",
              connection === "live" && "animate-pulse bg-emerald-500",
              (connection === "connecting" || connection === "reconnecting") && "bg-amber-500",
              connection === "ended" && "bg-slate-400",
              connection === "failed" && "bg-red-500",
            )}
            aria-hidden
          />
          <span data-testid="log-connection">
            {connection === "live"
              ? "Live"
              : connection === "ended"
                ? "Finished: the full log is shown"
                : connection === "failed"
                  ? "Not connected"
                  : connection === "reconnecting"
                    ? "Reconnecting…"
                    : "Connecting…"}
          </span>
          <span className="text-slate-400">· {lines.length} lines</span>
        </span>
        <span className="flex items-center gap-3">
          {hosts.length > 1 ? (
            <label className="flex items-center gap-1 text-slate-600">
              Host
              <select
                value={host}
                onChange={(e) => setHost(e.target.value)}
                className="rounded border border-slate-300 bg-white px-2 py-1 text-sm"
              >
                <option value="">all</option>
                {hosts.map((h) => (
                  <option key={h}>{h}</option>
                ))}
              </select>
            </label>
          ) : null}
          <label className="flex items-center gap-1 text-slate-600">
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />
            Follow
          </label>
        </span>
      </div>
      {problem ? (
        <p role="alert" className="mb-2 text-sm text-red-700">
          {problem}
        </p>
      ) : null}
      <div
        ref={boxRef}
        className="h-80 overflow-auto rounded-md bg-slate-950 p-3 font-mono text-xs leading-5 sm:h-96"
        role="log"
        aria-label="Deployment log"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the log scrolls with the keyboard
        tabIndex={0}
      >
        {shown.length === 0 ? (
          <p className="text-slate-500">
            {connection === "ended" ? "No log lines were recorded." : "Waiting for the agent to report…"}
          </p>
        ) : (
          shown.map((line) => (
            <div key={`${line.jobId}:${line.seq}`} className="flex gap-2 whitespace-pre-wrap break-all">
              <span className="shrink-0 text-slate-500">{timeOfDay.format(new Date(line.at))}</span>
              {hosts.length > 1 && !host ? (
                <span className="shrink-0 text-sky-300">{line.hostName}</span>
              ) : null}
              {line.service ? <span className="shrink-0 text-violet-300">{line.service}</span> : null}
              {line.type === "step" ? (
                <span className="font-semibold text-slate-100">▸ {line.message}</span>
              ) : (
                <span className={LEVEL_CLASS[line.level ?? "info"] ?? "text-slate-200"}>{line.message}</span>
              )}
            </div>
          ))
        )}
      </div>
    </div>
  );
}
