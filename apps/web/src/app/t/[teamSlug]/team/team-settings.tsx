"use client";
// Name, address, ownership and deletion of the team. Admins rename; owners change the address,
// hand the team over and delete it. The server checks every role again.
import { hasRole } from "@capstan/core/rbac/roles";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Button, Card, ErrorNotice, Field } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

const field = (event: FormEvent<HTMLFormElement>, name: string) => {
  event.preventDefault();
  return String(new FormData(event.currentTarget).get(name) ?? "");
};

export function TeamSettings() {
  const trpc = useTRPC();
  const team = useCurrentTeam();
  const router = useRouter();
  const owner = team.role === "OWNER";
  const [confirm, setConfirm] = useState("");
  const members = useQuery({ ...trpc.team.listMembers.queryOptions({ teamId: team.id }), enabled: owner });
  // The layout reads the team from the URL, so every change reloads the (new) address.
  const go = (slug: string) => () => {
    router.replace(`/t/${slug}/team`);
    router.refresh();
  };
  const rename = useMutation(trpc.team.rename.mutationOptions({ onSuccess: go(team.slug) }));
  const changeSlug = useMutation(trpc.team.changeSlug.mutationOptions({ onSuccess: (r) => go(r.slug)() }));
  const transfer = useMutation(trpc.team.transferOwnership.mutationOptions({ onSuccess: go(team.slug) }));
  const remove = useMutation(
    trpc.team.delete.mutationOptions({
      onSuccess: () => {
        router.replace("/");
        router.refresh();
      },
    }),
  );
  if (!hasRole(team.role, "ADMIN")) return null;
  const failed = [rename, changeSlug, transfer, remove].find((m) => m.isError);

  return (
    <section aria-labelledby="team-settings-title" className="space-y-3">
      <h2 id="team-settings-title" className="text-lg font-semibold text-slate-900">
        Team settings
      </h2>
      {failed?.error ? <ErrorNotice title="Not saved" message={errorMessage(failed.error)} /> : null}
      <Card className="space-y-6 p-4">
        <form
          className="flex items-end gap-3"
          onSubmit={(e) => rename.mutate({ teamId: team.id, name: field(e, "teamName") })}
        >
          <div className="flex-1">
            <Field id="teamName" label="Team name" required maxLength={80} defaultValue={team.name} />
          </div>
          <Button type="submit" variant="secondary" disabled={rename.isPending}>
            Rename
          </Button>
        </form>
        {owner ? (
          <>
            <form
              className="flex items-end gap-3"
              onSubmit={(e) => changeSlug.mutate({ teamId: team.id, slug: field(e, "teamSlug") })}
            >
              <div className="flex-1">
                <Field
                  id="teamSlug"
                  label="Address"
                  required
                  maxLength={63}
                  defaultValue={team.slug}
                  spellCheck={false}
                  hint="Used in URLs (/t/<address>). Old links stop working: they are not redirected."
                />
              </div>
              <Button type="submit" variant="secondary" disabled={changeSlug.isPending}>
                Change address
              </Button>
            </form>
            <form
              className="flex items-end gap-3"
              onSubmit={(e) => transfer.mutate({ teamId: team.id, membershipId: field(e, "newOwner") })}
            >
              <div className="flex-1 space-y-1">
                <label htmlFor="newOwner" className="block text-sm font-medium text-slate-700">
                  Transfer ownership to
                </label>
                <select
                  id="newOwner"
                  name="newOwner"
                  required
                  className="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm"
                >
                  <option value="">Choose a member…</option>
                  {members.data
                    ?.filter((m) => m.role !== "OWNER")
                    .map((m) => (
                      <option key={m.membershipId} value={m.membershipId}>
                        {m.name ? `${m.name} (${m.email})` : m.email}, {m.role.toLowerCase()}
                      </option>
                    ))}
                </select>
                <p className="text-xs text-slate-500">They become owner; you stay on as admin.</p>
              </div>
              <Button type="submit" variant="secondary" disabled={transfer.isPending}>
                Transfer
              </Button>
            </form>
            <form
              className="space-y-2 rounded-md border border-red-200 p-3"
              onSubmit={(e) => remove.mutate({ teamId: team.id, confirmSlug: field(e, "confirmDelete") })}
            >
              <p className="text-sm text-slate-700">
                Deleting the team removes its workflows, deployments, secrets and audit log. Revoke its hosts
                first. Type <code className="font-mono">{team.slug}</code> to confirm.
              </p>
              <div className="flex items-end gap-3">
                <div className="flex-1">
                  <Field
                    id="confirmDelete"
                    label="Team address"
                    autoComplete="off"
                    value={confirm}
                    onChange={(e) => setConfirm(e.target.value)}
                  />
                </div>
                <Button type="submit" variant="danger" disabled={confirm !== team.slug || remove.isPending}>
                  Delete team
                </Button>
              </div>
            </form>
          </>
        ) : null}
      </Card>
    </section>
  );
}
