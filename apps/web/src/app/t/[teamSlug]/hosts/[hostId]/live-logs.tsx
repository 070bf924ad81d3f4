"use client";
// Live logs of one service on this host (DEPLOYER and above): container logs or the unit journal
// streamed from the agent over Server-Sent Events, secret values masked by the control plane.
// Closing the stream (Stop, leaving the page) ends it on the host within seconds. Pause freezes
// the view while lines keep arriving; Download saves what is shown.
import { clsx } from "clsx";
import { useEffect, useRef, useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Button } from "@/components/ui";

interface Line {
  at: string;
  stream: "stdout" | "stderr" | "journal" | "capstan";
  priority?: number;
  text: string;
}

interface Service {
  workflow: string;
  service: string;
  kind: string;
}

/** Lines kept in the page; older ones scroll away. */
const MAX_LINES = 5000;
const PRIORITIES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

function lineClass(line: Line): string {
  if (line.stream === "capstan") return "italic text-sky-300";
  if (line.stream === "stderr" || (line.priority !== undefined && line.priority <= 3)) return "text-red-300";
  if (line.priority === 4) return "text-amber-300";
  return "text-slate-100";
}

export function LiveLogs({ hostId, services }: { hostId: string; services: readonly Service[] }) {
  const team = useCurrentTeam();
  const [target, setTarget] = useState(services[0] ? `${services[0].workflow}/${services[0].service}` : "");
  const [tail, setTail] = useState("100");
  const [since, setSince] = useState("");
  const [grep, setGrep] = useState("");
  const [output, setOutput] = useState("both");
  const [priority, setPriority] = useState("");
  const [lines, setLines] = useState<Line[]>([]);
  const [shown, setShown] = useState<Line[] | null>(null);
  const [status, setStatus] = useState<string>("stopped");
  const source = useRef<EventSource | null>(null);
  const view = useRef<HTMLDivElement | null>(null);
  const kind = services.find((s) => `${s.workflow}/${s.service}` === target)?.kind ?? "compose";

  const stop = (why = "stopped") => {
    source.current?.close();
    source.current = null;
    setStatus(why);
  };
  useEffect(() => () => source.current?.close(), []);
  useEffect(() => {
    if (shown === null && view.current) view.current.scrollTop = view.current.scrollHeight;
  });

  const start = () => {
    stop();
    const [workflow, service] = target.split("/");
    const query = new URLSearchParams({
      teamId: team.id,
      workflow: workflow ?? "",
      service: service ?? "",
      tail,
    });
    if (since) query.set("since", since);
    if (grep) query.set("grep", grep);
    if (kind === "compose") query.set("stream", output);
    else if (priority) query.set("priority", priority);
    setLines([]);
    setShown(null);
    setStatus("connecting");
    const es = new EventSource(`/api/hosts/${hostId}/logs?${query}`);
    source.current = es;
    es.addEventListener("state", (e) =>
      setStatus(
        (JSON.parse(e.data) as { status: string }).status === "PENDING"
          ? "waiting for the agent"
          : "following",
      ),
    );
    es.addEventListener("lines", (e) => {
      const batch = JSON.parse(e.data) as Line[];
      setLines((old) => [...old, ...batch].slice(-MAX_LINES));
    });
    es.addEventListener("end", (e) => stop(`ended: ${(JSON.parse(e.data) as { reason: string }).reason}`));
    es.addEventListener("failure", (e) =>
      stop(`failed: ${(JSON.parse(e.data) as { message: string }).message}`),
    );
    // No automatic reconnect: a new stream would repeat the tail; the person starts again.
    es.onerror = () => {
      if (source.current === es) stop("disconnected (start again to reconnect)");
    };
  };

  const visible = shown ?? lines;
  const download = () => {
    const text = visible.map((l) => `${l.at} ${l.stream} ${l.text}`).join("\n");
    const url = URL.createObjectURL(new Blob([`${text}\n`], { type: "text/plain" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `${target.replace("/", "-")}-logs.txt`;
    a.click();
    URL.revokeObjectURL(url);
  };

  const input = "rounded-md border border-slate-300 px-2 py-1 text-sm";
  return (
    <section aria-labelledby="live-logs" className="mb-8">
      <h2 id="live-logs" className="mb-3 text-base font-semibold text-slate-900">
        Live logs
      </h2>
      <form
        className="mb-3 flex flex-wrap items-end gap-3 text-sm"
        onSubmit={(e) => {
          e.preventDefault();
          start();
        }}
      >
        <label className="flex flex-col gap-1">
          Service
          <select className={input} value={target} onChange={(e) => setTarget(e.target.value)}>
            {services.map((s) => (
              <option key={`${s.workflow}/${s.service}`}>{`${s.workflow}/${s.service}`}</option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1">
          Last lines
          <input
            className={clsx(input, "w-20")}
            value={tail}
            inputMode="numeric"
            onChange={(e) => setTail(e.target.value)}
          />
        </label>
        <label className="flex flex-col gap-1">
          Since
          <input
            className={clsx(input, "w-28")}
            placeholder="10m, 2h"
            value={since}
            onChange={(e) => setSince(e.target.value)}
          />
        </label>
        <label className="flex flex-col gap-1">
          Filter
          <input
            className={clsx(input, "w-40")}
            placeholder="text"
            value={grep}
            onChange={(e) => setGrep(e.target.value)}
          />
        </label>
        {kind === "compose" ? (
          <label className="flex flex-col gap-1">
            Output
            <select className={input} value={output} onChange={(e) => setOutput(e.target.value)}>
              <option value="both">stdout + stderr</option>
              <option value="stdout">stdout</option>
              <option value="stderr">stderr</option>
            </select>
          </label>
        ) : (
          <label className="flex flex-col gap-1">
            Priority
            <select className={input} value={priority} onChange={(e) => setPriority(e.target.value)}>
              <option value="">all</option>
              {PRIORITIES.map((p, i) => (
                <option key={p} value={String(i)}>{`${p} and above`}</option>
              ))}
            </select>
          </label>
        )}
        <Button type="submit" className="px-3 py-1">
          {source.current ? "Restart" : "Follow"}
        </Button>
        <Button
          type="button"
          variant="secondary"
          className="px-3 py-1"
          disabled={!source.current}
          onClick={() => stop()}
        >
          Stop
        </Button>
        <Button
          type="button"
          variant="secondary"
          className="px-3 py-1"
          onClick={() => setShown(shown === null ? lines : null)}
        >
          {shown === null ? "Pause" : `Resume (${Math.max(0, lines.length - shown.length)} new)`}
        </Button>
        <Button
          type="button"
          variant="secondary"
          className="px-3 py-1"
          disabled={!visible.length}
          onClick={download}
        >
          Download
        </Button>
      </form>
      <p className="mb-2 text-xs text-slate-600" role="status" aria-label="log stream status">
        {status}
      </p>
      <div
        ref={view}
        role="log"
        aria-label="log lines"
        className="h-80 overflow-auto whitespace-pre-wrap rounded-md bg-slate-900 p-3 font-mono text-xs leading-5"
      >
        {visible.map((line, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: lines have no identity beyond their place
          <div key={i} className={lineClass(line)} data-stream={line.stream}>
            <span className="select-none text-slate-500">{line.at.slice(11, 23)} </span>
            {line.text}
          </div>
        ))}
      </div>
    </section>
  );
}
