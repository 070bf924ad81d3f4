// What the last "Upgrade" click did: how many orders went out, and each host that was skipped with
// the reason (already current, not checked in yet, an upgrade already under way, ...).
import { Button } from "@/components/ui";
import { plural, type UpgradeResult } from "./fleet-model";

export function UpgradeSummary({ result, onDismiss }: { result: UpgradeResult; onDismiss: () => void }) {
  return (
    <div
      role="status"
      aria-label="Upgrade result"
      className="rounded-md border border-sky-200 bg-sky-50 p-4 text-sm text-sky-900"
    >
      <div className="flex items-start justify-between gap-4">
        <div>
          <p className="font-medium">Requested {plural(result.requested.length, "upgrade")}</p>
          {result.requested.length ? (
            <p className="mt-1 text-xs">
              {result.requested.map((r) => r.hostName).join(", ")} will move to{" "}
              {result.requested[0]?.toVersion} on their next heartbeat.
            </p>
          ) : null}
        </div>
        <Button type="button" variant="secondary" className="px-2 py-1 text-xs" onClick={onDismiss}>
          Dismiss
        </Button>
      </div>
      {result.skipped.length ? (
        <div className="mt-3">
          <p className="font-medium">Skipped {plural(result.skipped.length, "host")}</p>
          <ul className="mt-1 list-disc space-y-0.5 pl-5 text-xs" aria-label="Skipped hosts">
            {result.skipped.map((s) => (
              <li key={s.hostId}>
                <span className="font-medium">{s.hostName}</span>: {s.reason}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
