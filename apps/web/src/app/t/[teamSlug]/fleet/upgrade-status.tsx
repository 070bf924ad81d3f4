"use client";
// The latest agent upgrade of one host as a coloured pill with what happened, and the agent's
// own words when it rolled back or failed (the operator needs them to fix the cause).
import { Duration, RelativeTime } from "@/components/status/time";
import { Badge, type Tone } from "@/components/ui";
import type { FleetHost } from "./fleet-model";

type Upgrade = NonNullable<FleetHost["upgrade"]>;

function pill(u: Upgrade): { tone: Tone; label: string } {
  switch (u.status) {
    case "PENDING":
      return { tone: "slate", label: "waiting for the agent" };
    case "IN_PROGRESS":
      return { tone: "blue", label: "upgrading…" };
    case "SUCCEEDED":
      return { tone: "green", label: `upgraded from ${u.fromVersion ?? "an unknown version"}` };
    case "ROLLED_BACK":
      return { tone: "amber", label: "rolled back" };
    case "FAILED":
      return { tone: "red", label: "failed" };
  }
}

export function UpgradeStatus({ upgrade }: { upgrade: FleetHost["upgrade"] }) {
  if (!upgrade) return <span className="text-xs text-slate-400">none</span>;
  const { tone, label } = pill(upgrade);
  // The deadline runs from when the order went out with a heartbeat answer.
  const started = upgrade.sentAt ?? upgrade.createdAt;
  return (
    <div className="space-y-1" data-testid="upgrade-status" data-status={upgrade.status}>
      <div className="flex flex-wrap items-center gap-2">
        <Badge tone={tone}>{label}</Badge>
        <span className="text-xs text-slate-500">to {upgrade.toVersion}</span>
      </div>
      {upgrade.status === "IN_PROGRESS" ? (
        <p className="text-xs text-slate-600">
          <Duration start={started} end={null} /> of {upgrade.deadlineSeconds} s before the previous agent is
          restored
        </p>
      ) : null}
      {upgrade.detail ? (
        <p
          className={
            upgrade.status === "ROLLED_BACK" || upgrade.status === "FAILED"
              ? "max-w-xs break-words text-xs text-red-700"
              : "max-w-xs break-words text-xs text-slate-600"
          }
        >
          {upgrade.detail}
        </p>
      ) : null}
      <p className="text-xs text-slate-500">
        <RelativeTime date={upgrade.finishedAt ?? upgrade.sentAt ?? upgrade.createdAt} />
      </p>
    </div>
  );
}
