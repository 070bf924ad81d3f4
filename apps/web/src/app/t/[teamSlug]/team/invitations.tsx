"use client";
import { hasRole } from "@capstan/core/rbac/roles";
import type { Role } from "@capstan/db";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { RelativeTime } from "@/components/status/time";
import { Button, Card, ErrorNotice, RoleBadge, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";
import { RoleSelect } from "./role-select";
import { ShownOnce } from "./shown-once";

const EXPIRY = [
  { hours: 24, label: "1 day" },
  { hours: 72, label: "3 days" },
  { hours: 168, label: "7 days" },
  { hours: 720, label: "30 days" },
];

export function Invitations() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const queryClient = useQueryClient();
  const canManage = hasRole(team.role, "ADMIN");
  const query = useQuery(trpc.members.invitations.queryOptions({ teamId: team.id }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.members.invitations.queryKey() });
  const [role, setRole] = useState<Role>("DEPLOYER");
  const [email, setEmail] = useState("");
  const [hours, setHours] = useState(168);
  const create = useMutation(trpc.team.createInvitation.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.members.revokeInvitation.mutationOptions({ onSettled: refresh }));
  const link = create.data ? `${window.location.origin}/invite/${create.data.token}` : null;

  return (
    <section aria-labelledby="invite-title" className="space-y-3">
      <h2 id="invite-title" className="text-lg font-semibold text-slate-900">
        Invitations
      </h2>
      {canManage ? (
        <form
          className="grid gap-3 sm:grid-cols-[1fr_auto_auto_auto] sm:items-end"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate({ teamId: team.id, role, email: email.trim() || null, expiresInHours: hours });
          }}
        >
          <div className="space-y-1">
            <label htmlFor="invite-email" className="block text-sm font-medium text-slate-700">
              Email (optional: only this address can accept)
            </label>
            <input
              id="invite-email"
              type="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              className="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm"
            />
          </div>
          <RoleSelect id="invite-role" label="Role" value={role} onChange={setRole} />
          <div className="space-y-1">
            <label htmlFor="invite-expiry" className="block text-sm font-medium text-slate-700">
              Expires after
            </label>
            <select
              id="invite-expiry"
              value={hours}
              onChange={(e) => setHours(Number(e.target.value))}
              className="block rounded-md border border-slate-300 bg-white px-2 py-2 text-sm"
            >
              {EXPIRY.map((x) => (
                <option key={x.hours} value={x.hours}>
                  {x.label}
                </option>
              ))}
            </select>
          </div>
          <Button type="submit" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create invite link"}
          </Button>
        </form>
      ) : null}
      {create.isError ? (
        <ErrorNotice title="No invitation created" message={errorMessage(create.error)} />
      ) : null}
      {link && create.data ? (
        <ShownOnce
          id="invite-link"
          label={`Invite link (${create.data.role.toLowerCase()})`}
          value={link}
          note={`Send it to the person you invite. It works once and expires ${create.data.expiresAt.toLocaleString()}. It is not shown again.`}
        />
      ) : null}
      {query.isPending ? <Spinner label="Loading invitations" /> : null}
      {query.isError ? (
        <ErrorNotice message={errorMessage(query.error)} onRetry={() => query.refetch()} />
      ) : null}
      {query.data && query.data.length === 0 ? (
        <p className="text-sm text-slate-500">No pending invitations.</p>
      ) : null}
      {query.data && query.data.length > 0 ? (
        <Card>
          <ul className="divide-y divide-slate-100" aria-label="Pending invitations">
            {query.data.map((inv) => (
              <li key={inv.id} className="flex flex-col gap-2 px-4 py-3 text-sm sm:flex-row sm:items-center">
                <div className="min-w-0 flex-1">
                  <RoleBadge role={inv.role} />{" "}
                  <span className="text-slate-700">{inv.email ?? "anyone with the link"}</span>
                  <div className="text-xs text-slate-500">
                    expires <RelativeTime date={inv.expiresAt} />
                    {inv.createdBy ? ` · by ${inv.createdBy.email}` : ""}
                  </div>
                </div>
                {canManage ? (
                  <Button
                    type="button"
                    variant="secondary"
                    disabled={revoke.isPending}
                    onClick={() => revoke.mutate({ teamId: team.id, invitationId: inv.id })}
                  >
                    Revoke
                  </Button>
                ) : null}
              </li>
            ))}
          </ul>
        </Card>
      ) : null}
    </section>
  );
}
