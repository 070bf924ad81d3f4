"use client";
// The host policy's systemd section: which users, capabilities, weakest hardening profile,
// writable paths and dependency units Capstan systemd services may use on this host. The server
// validates it again (packages/templates systemdPolicySchema); the host's own policy.json can
// only narrow it.
import type { SystemdPolicy } from "@capstan/templates/workflow/systemd-policy";
import { DEFAULT_SYSTEMD_UNITS } from "@capstan/templates/workflow/systemd-policy";

const PROFILES = ["strict", "baseline", "none"] as const;

const list = (value: unknown, fallback: string[]): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : fallback;

export function readSystemdPolicy(value: unknown): SystemdPolicy {
  const p = value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
  return {
    users: list(p.users, ["dynamic"]),
    capabilities: list(p.capabilities, []),
    minimumProfile: PROFILES.find((x) => x === p.minimumProfile) ?? "strict",
    readWritePaths: list(p.readWritePaths, []),
    units: list(p.units, DEFAULT_SYSTEMD_UNITS),
  };
}

/** Text fields as typed; split into lists when saved. */
export interface SystemdDraft {
  users: string;
  capabilities: string;
  minimumProfile: SystemdPolicy["minimumProfile"];
  readWritePaths: string;
  units: string;
}

export function toSystemdDraft(policy: SystemdPolicy): SystemdDraft {
  return {
    users: policy.users.join(", "),
    capabilities: policy.capabilities.join(", "),
    minimumProfile: policy.minimumProfile,
    readWritePaths: policy.readWritePaths.join("\n"),
    units: policy.units.join("\n"),
  };
}

const split = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);

export function fromSystemdDraft(draft: SystemdDraft): SystemdPolicy {
  return {
    users: split(draft.users),
    capabilities: split(draft.capabilities),
    minimumProfile: draft.minimumProfile,
    readWritePaths: split(draft.readWritePaths),
    units: split(draft.units),
  };
}

const none = (items: string[]) => (items.length ? items.join(", ") : "none");

export function SystemdPolicyView({ policy }: { policy: SystemdPolicy }) {
  return (
    <div className="space-y-1">
      <h3 className="font-medium text-slate-700">systemd services</h3>
      <p>
        Run as: <span className="font-mono">{none(policy.users)}</span>
      </p>
      <p>
        Capabilities: <span className="font-mono">{none(policy.capabilities)}</span>
      </p>
      <p>
        Weakest hardening profile: <span className="font-mono">{policy.minimumProfile}</span>
      </p>
      <p>
        Writable paths besides the StateDirectory:{" "}
        <span className="font-mono">{none(policy.readWritePaths)}</span>
      </p>
      <p>
        Units they may require, want or order after: <span className="font-mono">{none(policy.units)}</span>
      </p>
    </div>
  );
}

const inputClass = "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-xs";

type TextKey = Exclude<keyof SystemdDraft, "minimumProfile">;

const TEXT_FIELDS: { key: TextKey; label: string; rows?: number }[] = [
  {
    key: "users",
    label: "Users services may run as (`dynamic` for DynamicUser, or dedicated users without a login shell)",
  },
  {
    key: "capabilities",
    label: "Capabilities AmbientCapabilities and CapabilityBoundingSet may name (comma separated)",
  },
  {
    key: "readWritePaths",
    label: "ReadWritePaths prefixes besides the service's StateDirectory (one absolute path per line)",
    rows: 2,
  },
  {
    key: "units",
    label:
      "Units services may require, want or order after (one per line; reboot, rescue and the like are never allowed)",
    rows: 3,
  },
];

export function SystemdPolicyFields({
  draft,
  onChange,
}: {
  draft: SystemdDraft;
  onChange: (draft: SystemdDraft) => void;
}) {
  return (
    <fieldset className="space-y-3">
      <legend className="font-medium text-slate-700">systemd services</legend>
      {TEXT_FIELDS.map(({ key, label, rows }) => {
        const props = {
          id: `policy-systemd-${key}`,
          value: draft[key],
          onChange: (e: { target: { value: string } }) => onChange({ ...draft, [key]: e.target.value }),
          className: inputClass,
        };
        return (
          <label key={key} className="block font-medium text-slate-700" htmlFor={props.id}>
            {label}
            {rows ? <textarea rows={rows} {...props} /> : <input {...props} />}
          </label>
        );
      })}
      <label className="block font-medium text-slate-700" htmlFor="policy-systemd-profile">
        Weakest hardening profile allowed
        <select
          id="policy-systemd-profile"
          value={draft.minimumProfile}
          onChange={(e) =>
            onChange({ ...draft, minimumProfile: e.target.value as SystemdDraft["minimumProfile"] })
          }
          className={inputClass}
        >
          {PROFILES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </label>
    </fieldset>
  );
}
