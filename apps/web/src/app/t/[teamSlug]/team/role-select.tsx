"use client";
// The role picker of the invitation and API-token forms: one can hand out at most one's own role.
import { hasRole, ROLES } from "@capstan/core/rbac/roles";
import type { Role } from "@capstan/db";
import { useCurrentTeam } from "@/components/dashboard/team-context";

export function RoleSelect({
  id,
  label,
  value,
  onChange,
}: {
  id: string;
  label: string;
  value: Role;
  onChange: (role: Role) => void;
}) {
  const team = useCurrentTeam();
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium text-slate-700">
        {label}
      </label>
      <select
        id={id}
        value={value}
        onChange={(e) => onChange(e.target.value as Role)}
        className="block rounded-md border border-slate-300 bg-white px-2 py-2 text-sm"
      >
        {ROLES.filter((r) => hasRole(team.role, r)).map((r) => (
          <option key={r} value={r}>
            {r.charAt(0) + r.slice(1).toLowerCase()}
          </option>
        ))}
      </select>
    </div>
  );
}
