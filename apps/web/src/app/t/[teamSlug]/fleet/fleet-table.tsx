"use client";
// One row per host: status, architecture, agent version against the served build, and its latest
// upgrade. Admins get a checkbox per row and an "Upgrade" button on rows that can take one now.
import Link from "next/link";
import { StatusBadge } from "@/components/status/status-badge";
import { RelativeTime } from "@/components/status/time";
import { Badge, Button, Card } from "@/components/ui";
import { agentVersionBadge, canUpgradeRow, type FleetHost } from "./fleet-model";
import { UpgradeStatus } from "./upgrade-status";

interface FleetTableProps {
  teamSlug: string;
  hosts: FleetHost[];
  /** Present for admins only: selection and upgrade controls. */
  admin: {
    selected: ReadonlySet<string>;
    onToggle: (hostId: string) => void;
    onToggleAll: (select: boolean) => void;
    onUpgrade: (hostIds: string[]) => void;
    busy: boolean;
  } | null;
}

const HEAD = "px-4 py-2 text-left text-xs font-medium uppercase tracking-wide text-slate-500";

export function FleetTable({ teamSlug, hosts, admin }: FleetTableProps) {
  const allSelected = admin !== null && hosts.length > 0 && hosts.every((h) => admin.selected.has(h.id));
  return (
    <Card className="overflow-x-auto">
      <table className="w-full min-w-[48rem] text-sm" aria-label="Hosts and agent versions">
        <thead className="border-b border-slate-100 bg-slate-50">
          <tr>
            {admin ? (
              <th scope="col" className="w-10 px-4 py-2">
                <input
                  type="checkbox"
                  aria-label="Select all hosts"
                  checked={allSelected}
                  onChange={(e) => admin.onToggleAll(e.target.checked)}
                />
              </th>
            ) : null}
            {["Host", "Status", "Arch", "Agent", "Last upgrade"].map((label) => (
              <th key={label} scope="col" className={HEAD}>
                {label}
              </th>
            ))}
            {admin ? (
              <th scope="col" className={HEAD}>
                <span className="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {hosts.map((h) => (
            <FleetRow key={h.id} host={h} teamSlug={teamSlug} admin={admin} />
          ))}
        </tbody>
      </table>
    </Card>
  );
}

function FleetRow({
  host,
  teamSlug,
  admin,
}: {
  host: FleetHost;
  teamSlug: string;
  admin: FleetTableProps["admin"];
}) {
  const badge = agentVersionBadge(host);
  return (
    <tr data-testid="fleet-row" data-host={host.name} className="align-top">
      {admin ? (
        <td className="px-4 py-3">
          <input
            type="checkbox"
            aria-label={`Select ${host.name}`}
            checked={admin.selected.has(host.id)}
            onChange={() => admin.onToggle(host.id)}
          />
        </td>
      ) : null}
      <td className="px-4 py-3">
        <Link
          href={`/t/${teamSlug}/hosts/${host.id}`}
          className="font-medium text-slate-900 hover:text-sky-700 hover:underline"
        >
          {host.name}
        </Link>
        <span className="block text-xs text-slate-500">
          seen <RelativeTime date={host.lastSeenAt} />
        </span>
      </td>
      <td className="px-4 py-3">
        <StatusBadge status={host.status} />
      </td>
      <td className="px-4 py-3 font-mono text-xs text-slate-700">{host.arch ?? "–"}</td>
      <td className="px-4 py-3">
        <span className="flex flex-wrap items-center gap-2">
          <span className="font-mono text-xs text-slate-800">{host.agentVersion ?? "–"}</span>
          <Badge tone={badge.tone}>{badge.label}</Badge>
        </span>
      </td>
      <td className="px-4 py-3">
        <UpgradeStatus upgrade={host.upgrade} />
      </td>
      {admin ? (
        <td className="px-4 py-3 text-right">
          {canUpgradeRow(host) ? (
            <Button
              type="button"
              variant="secondary"
              className="px-3 py-1"
              disabled={admin.busy}
              onClick={() => admin.onUpgrade([host.id])}
              aria-label={`Upgrade ${host.name}`}
            >
              Upgrade
            </Button>
          ) : null}
        </td>
      ) : null}
    </tr>
  );
}
