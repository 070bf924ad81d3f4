"use client";
// A host's policy: what compose and systemd services deployed there may do. Admins edit it here; everyone
// else sees it read-only. The server validates it again (packages/templates hostPolicySchema).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Button, ErrorNotice } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import {
  fromSystemdDraft,
  readSystemdPolicy,
  SystemdPolicyFields,
  SystemdPolicyView,
  toSystemdDraft,
} from "./systemd-policy-section";

// One switch per boolean key of hostPolicySchema (packages/templates workflow/host-policy.ts);
// docs/user/workflow-format.md says what each one lets a Compose document do.
const SWITCHES = [
  { key: "allowPrivileged", label: "Privileged containers" },
  { key: "allowDockerSocket", label: "Mount the Docker socket" },
  { key: "allowHostNetwork", label: "Host network (network_mode: host)" },
  { key: "allowHostNamespaces", label: "Host PID/IPC/UTS/user namespaces, other containers' namespaces" },
  { key: "allowDevices", label: "Devices and device cgroup rules" },
  { key: "allowSecurityOpt", label: "security_opt (seccomp, AppArmor, SELinux)" },
  { key: "allowExternalVolumes", label: "External volumes, fixed volume names, volumes_from" },
  { key: "allowExternalNetworks", label: "External networks, fixed network names, external_links" },
  { key: "allowVolumeDrivers", label: "Volume drivers and driver_opts" },
  { key: "allowNetworkDrivers", label: "Network drivers and driver_opts" },
  { key: "allowRuntime", label: "Another container runtime (runtime)" },
  { key: "allowGpus", label: "GPUs" },
  { key: "allowCgroupParent", label: "cgroup_parent" },
  { key: "allowNixBuilds", label: "Nix builds (nix services; builders run with the host's Nix settings)" },
] as const;

type SwitchKey = (typeof SWITCHES)[number]["key"];

export type PolicyValue = Record<SwitchKey, boolean> & {
  allowHostPaths: string[];
  // `false` and `[]` both mean none.
  allowCapabilities: true | string[];
  allowSysctls: true | string[];
  systemd: ReturnType<typeof readSystemdPolicy>;
};

const list = (value: unknown): true | string[] =>
  value === true ? true : Array.isArray(value) ? (value as string[]) : [];

function readPolicy(policy: Record<string, unknown>): PolicyValue {
  const flags = Object.fromEntries(SWITCHES.map((s) => [s.key, policy[s.key] === true])) as Record<
    SwitchKey,
    boolean
  >;
  return {
    ...flags,
    allowHostPaths: Array.isArray(policy.allowHostPaths) ? (policy.allowHostPaths as string[]) : [],
    allowCapabilities: list(policy.allowCapabilities),
    allowSysctls: list(policy.allowSysctls),
    systemd: readSystemdPolicy(policy.systemd),
  };
}

const listText = (value: true | string[]) => (value === true ? "*" : value.join(", "));
const shownList = (value: true | string[]) =>
  value === true ? "any" : value.length ? value.join(", ") : "none";
const parseList = (text: string): true | string[] =>
  text.trim() === "*"
    ? true
    : text
        .split(/[,\s]+/)
        .map((c) => c.trim())
        .filter(Boolean);

export function HostPolicy({
  hostId,
  policy,
  editable,
}: {
  hostId: string;
  policy: Record<string, unknown>;
  editable: boolean;
}) {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const current = readPolicy(policy);
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(current);
  const [paths, setPaths] = useState(current.allowHostPaths.join("\n"));
  const [caps, setCaps] = useState(listText(current.allowCapabilities));
  const [sysctls, setSysctls] = useState(listText(current.allowSysctls));
  const [systemd, setSystemd] = useState(toSystemdDraft(current.systemd));
  const save = useMutation(
    trpc.hosts.update.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.hosts.get.pathKey() });
        setEditing(false);
      },
    }),
  );

  if (!editing) {
    return (
      <div className="space-y-3 text-sm">
        <ul className="grid gap-2 sm:grid-cols-2">
          {SWITCHES.map((s) => (
            <li key={s.key} className="flex items-center gap-2">
              <span
                className={current[s.key] ? "font-semibold text-amber-700" : "text-slate-500"}
                aria-hidden
              >
                {current[s.key] ? "✓" : "✕"}
              </span>
              <span>
                {s.label}: <span className="font-medium">{current[s.key] ? "allowed" : "refused"}</span>
              </span>
            </li>
          ))}
        </ul>
        <p>
          Host paths for bind mounts:{" "}
          <span className="font-mono">
            {current.allowHostPaths.length ? current.allowHostPaths.join(", ") : "none"}
          </span>
        </p>
        <p>
          Extra capabilities: <span className="font-mono">{shownList(current.allowCapabilities)}</span>
        </p>
        <p>
          Kernel parameters (sysctls): <span className="font-mono">{shownList(current.allowSysctls)}</span>
        </p>
        <SystemdPolicyView policy={current.systemd} />
        {editable ? (
          <Button
            type="button"
            variant="secondary"
            onClick={() => {
              setDraft(current);
              setSystemd(toSystemdDraft(current.systemd));
              setEditing(true);
            }}
          >
            Edit policy
          </Button>
        ) : null}
      </div>
    );
  }

  return (
    <form
      className="space-y-4 text-sm"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate({
          teamId: team.id,
          hostId,
          policy: {
            ...draft,
            allowHostPaths: paths
              .split(/\n+/)
              .map((p) => p.trim())
              .filter(Boolean),
            allowCapabilities: parseList(caps),
            allowSysctls: parseList(sysctls),
            systemd: fromSystemdDraft(systemd),
          },
        });
      }}
    >
      <fieldset className="grid gap-2 sm:grid-cols-2">
        <legend className="sr-only">Allowed for compose services</legend>
        {SWITCHES.map((s) => (
          <label key={s.key} className="flex items-center gap-2">
            <input
              type="checkbox"
              checked={draft[s.key]}
              onChange={(e) => setDraft({ ...draft, [s.key]: e.target.checked })}
            />
            {s.label}
          </label>
        ))}
      </fieldset>
      <label className="block font-medium text-slate-700" htmlFor="policy-paths">
        Host paths bind mounts may use (one absolute prefix per line)
        <textarea
          id="policy-paths"
          rows={3}
          value={paths}
          onChange={(e) => setPaths(e.target.value)}
          className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-xs"
        />
      </label>
      <label className="block font-medium text-slate-700" htmlFor="policy-caps">
        Capabilities cap_add may name (comma separated, or * for any)
        <input
          id="policy-caps"
          value={caps}
          onChange={(e) => setCaps(e.target.value)}
          className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-xs"
        />
      </label>
      <label className="block font-medium text-slate-700" htmlFor="policy-sysctls">
        Kernel parameters sysctls may set (comma separated, or * for any)
        <input
          id="policy-sysctls"
          value={sysctls}
          onChange={(e) => setSysctls(e.target.value)}
          className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-xs"
        />
      </label>
      <SystemdPolicyFields draft={systemd} onChange={setSystemd} />
      {save.isError ? <ErrorNotice title="Policy not saved" message={errorMessage(save.error)} /> : null}
      <div className="flex gap-2">
        <Button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save policy"}
        </Button>
        <Button type="button" variant="secondary" onClick={() => setEditing(false)}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
