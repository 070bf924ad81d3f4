// The audit log shows a deployment's events (created, each status change, cancelled) as one row
// that expands, so a busy day reads as a list of deployments rather than dozens of status lines.

export interface GroupableEvent {
  id: string;
  kind: string;
  targetType: string | null;
  targetId: string | null;
  data: unknown;
}

export type AuditRow<E extends GroupableEvent> =
  | { type: "event"; event: E }
  /** Two or more events of one deployment, newest first, at the place of the newest. */
  | { type: "deployment"; deploymentId: string; events: E[] };

function deploymentOf(event: GroupableEvent): string | null {
  return event.targetType === "deployment" && event.targetId ? event.targetId : null;
}

/**
 * Groups the events of each deployment into one row. `events` is newest first (as listed);
 * the order is kept, and a deployment's row sits where its newest event is. A deployment
 * with a single loaded event stays a plain row.
 */
export function groupAuditEvents<E extends GroupableEvent>(events: readonly E[]): AuditRow<E>[] {
  const byDeployment = new Map<string, E[]>();
  for (const event of events) {
    const id = deploymentOf(event);
    if (id) byDeployment.set(id, [...(byDeployment.get(id) ?? []), event]);
  }
  const rows: AuditRow<E>[] = [];
  const placed = new Set<string>();
  for (const event of events) {
    const id = deploymentOf(event);
    const group = id ? byDeployment.get(id) : undefined;
    if (!id || !group || group.length < 2) {
      rows.push({ type: "event", event });
    } else if (!placed.has(id)) {
      placed.add(id);
      rows.push({ type: "deployment", deploymentId: id, events: group });
    }
  }
  return rows;
}

function field(data: unknown, key: string): unknown {
  return data && typeof data === "object" ? (data as Record<string, unknown>)[key] : undefined;
}

/** The group row's one-line summary: which workflow and revision, and where it ended up. */
export function summarizeDeployment(events: readonly GroupableEvent[]): {
  workflow: string | null;
  revision: number | null;
  status: string | null;
} {
  const created = events.find((e) => e.kind === "deployment.created");
  const workflow = field(created?.data, "workflow");
  const revision = field(created?.data, "revision");
  // Newest first: the first event that tells a status is the latest one.
  let status: string | null = null;
  for (const e of events) {
    const to = field(e.data, "to");
    if (e.kind === "deployment.status_changed" && typeof to === "string") status = to;
    else if (e.kind === "deployment.cancelled") status = "CANCELLED";
    else if (e.kind === "deployment.created") status = "PENDING";
    if (status) break;
  }
  return {
    workflow: typeof workflow === "string" ? workflow : null,
    revision: typeof revision === "number" ? revision : null,
    status,
  };
}
