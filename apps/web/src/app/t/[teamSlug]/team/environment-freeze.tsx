"use client";
// One environment's deploy windows, said as freeze windows: weekly times in its time zone when
// deployments touching its hosts are refused (an ADMIN may override, audited).
import type { EnvironmentView } from "@capstan/core/environments/list-environments";
import { useState } from "react";
import { EnvironmentSettingForm } from "./environment-setting-form";

function freezeSummary(env: EnvironmentView): string {
  if (!env.freezeWindows) return "No freeze windows: deploys are allowed at any time.";
  const windows = env.freezeWindows.split("\n").join("; ");
  const now = env.frozen
    ? ` Frozen now${env.frozen.endsAt ? ` until ${new Date(env.frozen.endsAt).toLocaleString()}` : ""}.`
    : "";
  return `Deploys are refused ${windows} (${env.timeZone}).${now}`;
}

export function EnvironmentFreeze({
  environment: env,
  canManage,
}: {
  environment: EnvironmentView;
  canManage: boolean;
}) {
  const [windows, setWindows] = useState(env.freezeWindows);
  const [timeZone, setTimeZone] = useState(env.timeZone);
  return (
    <EnvironmentSettingForm
      environment={env}
      canManage={canManage}
      summary={freezeSummary(env)}
      values={{ freezeWindows: windows, timeZone }}
      submitLabel="Save freeze windows"
    >
      <textarea
        aria-label={`Freeze windows on ${env.name}`}
        placeholder="fri 16:00 - mon 08:00"
        rows={2}
        value={windows}
        onChange={(e) => setWindows(e.target.value)}
        className="min-w-64 rounded-md border border-slate-300 px-2 py-1 font-mono"
      />
      <input
        aria-label={`Time zone of ${env.name}'s freeze windows`}
        placeholder="Europe/Berlin"
        value={timeZone}
        onChange={(e) => setTimeZone(e.target.value)}
        className="w-44 rounded-md border border-slate-300 px-2 py-1"
      />
    </EnvironmentSettingForm>
  );
}
