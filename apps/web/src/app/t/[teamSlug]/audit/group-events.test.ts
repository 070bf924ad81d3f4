import { describe, expect, it } from "vitest";
import { type GroupableEvent, groupAuditEvents, summarizeDeployment } from "./group-events";

let next = 100;
function event(kind: string, target: [string, string] | null, data: unknown = {}): GroupableEvent {
  next -= 1; // listed newest first: ids go down
  return { id: String(next), kind, targetType: target?.[0] ?? null, targetId: target?.[1] ?? null, data };
}

describe("groupAuditEvents", () => {
  it("puts a deployment's events in one row where its newest event is, keeping everything else", () => {
    const a = ["deployment", "dep-a"] as [string, string];
    const b = ["deployment", "dep-b"] as [string, string];
    const events = [
      event("deployment.status_changed", a, { from: "RUNNING", to: "SUCCEEDED" }),
      event("secret.written", ["workflow", "wf-1"], { name: "DB_PASSWORD" }),
      event("deployment.status_changed", b, { from: "PENDING", to: "RUNNING" }),
      event("deployment.status_changed", a, { from: "PENDING", to: "RUNNING" }),
      event("deployment.created", b, { workflow: "api", revision: 3 }),
      event("deployment.created", a, { workflow: "shop", revision: 7 }),
      event("user.signed_in", null),
    ];
    const rows = groupAuditEvents(events);
    expect(rows.map((r) => (r.type === "event" ? r.event.kind : `group:${r.deploymentId}`))).toEqual([
      "group:dep-a",
      "secret.written",
      "group:dep-b",
      "user.signed_in",
    ]);
    const groupA = rows[0];
    expect(groupA?.type === "deployment" && groupA.events.map((e) => e.id)).toEqual(
      [events[0], events[3], events[5]].map((e) => e?.id),
    );
    // Every event is shown exactly once.
    const shown = rows.flatMap((r) => (r.type === "event" ? [r.event] : r.events));
    expect(shown.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
  });

  it("leaves a deployment with one loaded event as a plain row", () => {
    const rows = groupAuditEvents([event("deployment.created", ["deployment", "dep-c"], { workflow: "x" })]);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.type).toBe("event");
  });

  it("does not group events of other targets or without a target id", () => {
    const rows = groupAuditEvents([
      event("workflow.updated", ["workflow", "wf-1"]),
      event("workflow.updated", ["workflow", "wf-1"]),
      event("deployment.status_changed", ["deployment", ""]),
      event("deployment.status_changed", ["deployment", ""]),
    ]);
    expect(rows.every((r) => r.type === "event")).toBe(true);
  });
});

describe("summarizeDeployment", () => {
  it("names the workflow, revision and the latest status", () => {
    const d = ["deployment", "dep-d"] as [string, string];
    const events = [
      event("deployment.status_changed", d, { from: "RUNNING", to: "FAILED" }),
      event("deployment.status_changed", d, { from: "PENDING", to: "RUNNING" }),
      event("deployment.created", d, { workflow: "shop", revision: 2 }),
    ];
    expect(summarizeDeployment(events)).toEqual({ workflow: "shop", revision: 2, status: "FAILED" });
    expect(summarizeDeployment(events.slice(1))).toMatchObject({ status: "RUNNING" });
    expect(summarizeDeployment(events.slice(2))).toMatchObject({ status: "PENDING" });
  });

  it("copes with a group whose created event is on a page not loaded yet, and with odd data", () => {
    const d = ["deployment", "dep-e"] as [string, string];
    const events = [
      event("deployment.cancelled", d, { cancelledJobs: 1 }),
      event("deployment.status_changed", d, { to: 42 }),
    ];
    expect(summarizeDeployment(events)).toEqual({ workflow: null, revision: null, status: "CANCELLED" });
    expect(summarizeDeployment([event("deployment.status_changed", d, null)]).status).toBeNull();
  });
});
