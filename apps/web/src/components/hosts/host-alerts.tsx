"use client";
// Open host alerts (disk, memory, a service restarting in a loop): on the overview for the whole
// team, on a host page for that host. An alert shows until the host reports it has recovered.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { RelativeTime } from "@/components/status/time";
import { useTRPC } from "@/trpc/client";

const KIND_LABEL: Record<string, string> = {
  disk: "Disk",
  memory: "Memory",
  "restart-loop": "Restart loop",
  certificate: "Certificate",
};

export function HostAlerts({ hostId }: { hostId?: string }) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const query = useQuery({ ...trpc.hosts.alerts.queryOptions({ teamId: team.id }), refetchInterval: 30_000 });
  const alerts = (query.data ?? []).filter((a) => !hostId || a.host.id === hostId);
  if (alerts.length === 0) return null;
  return (
    <section aria-label="Host alerts" className="mb-6 rounded-lg border border-amber-300 bg-amber-50 p-4">
      <h2 className="mb-2 text-sm font-semibold text-amber-900">
        {alerts.length === 1 ? "1 host alert" : `${alerts.length} host alerts`}
      </h2>
      <ul className="space-y-1 text-sm text-amber-900">
        {alerts.map((a) => (
          <li key={a.id}>
            <span className="font-medium">{KIND_LABEL[a.kind] ?? a.kind}</span>
            {hostId ? null : (
              <>
                {" on "}
                <Link className="underline" href={`/t/${team.slug}/hosts/${a.host.id}`}>
                  {a.host.name}
                </Link>
              </>
            )}
            : {a.detail}{" "}
            <span className="text-amber-700">
              (since <RelativeTime date={a.openedAt} />)
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
