"use client";
import type { AuditEventView } from "@capstan/core/audit/list-audit-events";
import Link from "next/link";
import { useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { StatusBadge } from "@/components/status/status-badge";
import { Badge, type Tone } from "@/components/ui";
import { summarizeDeployment } from "./group-events";

const timeFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "medium" });

function kindTone(kind: string): Tone {
  if (/(failed|revoked|removed|deleted)$/.test(kind)) return "red";
  if (kind.startsWith("deployment.")) return "blue";
  if (kind.startsWith("member.") || kind.startsWith("invitation.")) return "violet";
  if (kind.startsWith("setup.") || kind.endsWith("signed_in")) return "green";
  return "slate";
}

/** "workflow=shop, name=DB_PASSWORD": the event's context (never values: events hold none). */
function describe(data: unknown): string {
  if (!data || typeof data !== "object") return "";
  return Object.entries(data as Record<string, unknown>)
    .filter(([k, v]) => v !== null && typeof v !== "object" && !k.endsWith("Id") && k !== "contentHash")
    .slice(0, 4)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(", ");
}

const rowClass = "flex flex-col gap-1 px-4 py-3 text-sm sm:flex-row sm:items-center sm:gap-4";

function Time({ date }: { date: Date }) {
  return (
    <time className="shrink-0 text-xs tabular-nums text-slate-500 sm:w-48" dateTime={date.toISOString()}>
      {timeFormat.format(date)}
    </time>
  );
}

function EventLine({ event }: { event: AuditEventView }) {
  return (
    <>
      <Time date={event.createdAt} />
      <span className="shrink-0 sm:w-48">
        <Badge tone={kindTone(event.kind)}>{event.kind}</Badge>
      </span>
      <span className="min-w-0 break-words text-slate-700">
        {event.actorLabel ?? event.actorType.toLowerCase()}
        {event.targetType ? <span className="text-slate-400"> → {event.targetType}</span> : null}
        {describe(event.data) ? <span className="text-slate-500"> · {describe(event.data)}</span> : null}
      </span>
    </>
  );
}

export function EventRow({ event }: { event: AuditEventView }) {
  return (
    <li className={rowClass}>
      <EventLine event={event} />
    </li>
  );
}

/** One deployment's events (newest first) as a row that expands to list them. */
export function DeploymentGroupRow({ events }: { events: AuditEventView[] }) {
  const team = useCurrentTeam();
  const [open, setOpen] = useState(false);
  const newest = events[0]!;
  const { workflow, revision, status } = summarizeDeployment(events);
  const listId = `audit-deployment-${newest.id}`;
  return (
    <li data-testid="audit-deployment-group">
      <div className={rowClass}>
        <Time date={newest.createdAt} />
        <span className="shrink-0 sm:w-48">
          <button
            type="button"
            aria-expanded={open}
            aria-controls={listId}
            onClick={() => setOpen((o) => !o)}
            className="inline-flex items-center gap-1 rounded text-xs font-medium text-sky-700 hover:underline"
          >
            <span aria-hidden>{open ? "▾" : "▸"}</span>
            deployment · {events.length} events
          </button>
        </span>
        <span className="flex min-w-0 flex-wrap items-center gap-2 break-words text-slate-700">
          <Link
            href={`/t/${team.slug}/deployments/${newest.targetId}`}
            className="text-sky-700 hover:underline"
          >
            {workflow ?? "Deployment"}
            {revision !== null ? ` · revision ${revision}` : ""}
          </Link>
          {status ? <StatusBadge status={status} /> : null}
        </span>
      </div>
      {open ? (
        <ul id={listId} className="divide-y divide-slate-100 border-t border-slate-100 bg-slate-50 sm:pl-8">
          {events.map((e) => (
            <EventRow key={e.id} event={e} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}
