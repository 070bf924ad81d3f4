"use client";
// The containers and units the agent found that Capstan does not manage: read-only, collapsed by
// default. Names are shown as text only; the protocol already refused anything but plain names.
import type { inferRouterOutputs } from "@trpc/server";
import { Truncate } from "@/components/ui";
import type { AppRouter } from "@/server/trpc/root";

type Unmanaged = NonNullable<inferRouterOutputs<AppRouter>["hosts"]["get"]["unmanaged"]>;

export function UnmanagedList({ unmanaged }: { unmanaged: Unmanaged | null }) {
  if (!unmanaged) return null;
  const count = unmanaged.containers.length + unmanaged.units.length;
  return (
    <details className="mt-6 rounded-md border border-slate-200 p-3 text-sm" data-testid="unmanaged">
      <summary className="cursor-pointer font-medium text-slate-800">
        Not managed by Capstan ({count}
        {unmanaged.truncated ? "+" : ""})
      </summary>
      <p className="mt-2 text-xs text-slate-600">
        Other containers and running service units on this host, for reference. Capstan does not change them.
        {unmanaged.truncated ? " The list is cut short (too many, or names Capstan does not show)." : ""}
      </p>
      <div className="mt-3 grid gap-4 md:grid-cols-2">
        <div>
          <h4 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500">Containers</h4>
          {unmanaged.containers.length === 0 ? (
            <p className="text-xs text-slate-500">None.</p>
          ) : (
            <ul className="space-y-0.5">
              {unmanaged.containers.map((c) => (
                <li key={c.name} className="flex gap-2 font-mono text-xs text-slate-700">
                  <Truncate text={c.name} className="min-w-0" />
                  <span className="text-slate-500">{c.state}</span>
                  {c.image ? <Truncate text={c.image} className="min-w-0 text-slate-500" /> : null}
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          <h4 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500">Units</h4>
          {unmanaged.units.length === 0 ? (
            <p className="text-xs text-slate-500">None.</p>
          ) : (
            <ul className="space-y-0.5">
              {unmanaged.units.map((u) => (
                <li key={u.name} className="flex gap-2 font-mono text-xs text-slate-700">
                  <Truncate text={u.name} className="min-w-0" />
                  <span className="text-slate-500">{u.state}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </details>
  );
}
