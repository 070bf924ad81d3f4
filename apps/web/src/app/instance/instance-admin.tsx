"use client";
// The instance page: every team, every user (grant/revoke instance admin), and the settings.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { Button, Card, ErrorNotice, PageHeader, RoleBadge, Spinner } from "@/components/ui";
import { errorMessage } from "@/lib/error-message";
import { useTRPC } from "@/trpc/client";

const th = "px-4 py-2 text-left text-xs font-medium uppercase tracking-wide text-slate-500";
const td = "px-4 py-2 text-sm text-slate-700";

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id} className="space-y-3">
      <h2 id={id} className="text-lg font-semibold text-slate-900">
        {title}
      </h2>
      {children}
    </section>
  );
}

export function InstanceAdmin({ currentUserId }: { currentUserId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const teams = useQuery(trpc.instance.teams.queryOptions());
  const users = useQuery(trpc.instance.users.queryOptions());
  const settings = useQuery(trpc.instance.settings.queryOptions());
  const audit = useQuery(trpc.instance.audit.queryOptions());
  const setAdmin = useMutation(
    trpc.instance.setInstanceAdmin.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.instance.pathKey() }),
    }),
  );
  const saveSettings = useMutation(
    trpc.instance.setSettings.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.instance.pathKey() }),
    }),
  );
  const failed = [teams, users, settings, audit].find((q) => q.isError)?.error;

  return (
    <>
      <PageHeader
        title="Instance"
        description="Every team and user on this Capstan, and who may create teams."
      />
      {failed ? <ErrorNotice message={errorMessage(failed)} /> : null}
      <div className="space-y-10">
        <Section id="instance-teams" title="Teams">
          {teams.isPending ? <Spinner label="Loading teams" /> : null}
          <Card className="overflow-x-auto">
            <table className="min-w-full divide-y divide-slate-200">
              <thead>
                <tr>
                  <th className={th}>Team</th>
                  <th className={th}>Address</th>
                  <th className={th}>Members</th>
                  <th className={th}>Hosts (not revoked)</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {teams.data?.map((t) => (
                  <tr key={t.id}>
                    <td className={td}>{t.name}</td>
                    <td className={`${td} font-mono`}>{t.slug}</td>
                    <td className={td}>{t.members}</td>
                    <td className={td}>{t.hosts}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
          <p className="text-xs text-slate-500">
            Instance admins see teams here but not inside them: open a team only as its member.{" "}
            <Link href="/teams/new" className="text-sky-700 underline">
              New team
            </Link>
          </p>
        </Section>

        <Section id="instance-users" title="Users">
          {users.isPending ? <Spinner label="Loading users" /> : null}
          {setAdmin.isError ? (
            <ErrorNotice title="Not changed" message={errorMessage(setAdmin.error)} />
          ) : null}
          <Card className="overflow-x-auto">
            <table className="min-w-full divide-y divide-slate-200">
              <thead>
                <tr>
                  <th className={th}>User</th>
                  <th className={th}>Teams</th>
                  <th className={th}>Instance admin</th>
                  <th className={th}>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {users.data?.map((u) => (
                  <tr key={u.id} data-testid="instance-user">
                    <td className={td}>
                      <span className="block text-slate-900">{u.name ?? u.email}</span>
                      {u.name ? <span className="block text-xs text-slate-500">{u.email}</span> : null}
                    </td>
                    <td className={td}>
                      <ul className="space-y-1">
                        {u.teams.map((t) => (
                          <li key={t.slug} className="flex items-center gap-2">
                            {t.name} <RoleBadge role={t.role} />
                          </li>
                        ))}
                      </ul>
                    </td>
                    <td className={td}>
                      {u.instanceAdmin ? "Yes" : "No"}
                      {u.id === currentUserId ? " (you)" : ""}
                    </td>
                    <td className={`${td} text-right`}>
                      <Button
                        variant="secondary"
                        disabled={setAdmin.isPending}
                        onClick={() => setAdmin.mutate({ userId: u.id, instanceAdmin: !u.instanceAdmin })}
                      >
                        {u.instanceAdmin ? "Revoke instance admin" : "Make instance admin"}
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
        </Section>

        <Section id="instance-settings" title="Settings">
          {saveSettings.isError ? (
            <ErrorNotice title="Not saved" message={errorMessage(saveSettings.error)} />
          ) : null}
          <Card className="p-4">
            <fieldset className="space-y-2" disabled={settings.isPending || saveSettings.isPending}>
              <legend className="text-sm font-medium text-slate-900">Who may create teams</legend>
              {(
                [
                  ["INSTANCE_ADMINS", "Instance admins only"],
                  ["ANY_USER", "Any signed-in user"],
                ] as const
              ).map(([value, label]) => (
                <label key={value} className="flex items-center gap-2 text-sm text-slate-700">
                  <input
                    type="radio"
                    name="teamCreation"
                    value={value}
                    checked={settings.data?.teamCreation === value}
                    onChange={() => saveSettings.mutate({ teamCreation: value })}
                  />
                  {label}
                </label>
              ))}
            </fieldset>
          </Card>
        </Section>

        <Section id="instance-audit" title="Instance events">
          <p className="text-xs text-slate-500">
            Team deletions and changes to instance admins and settings. Everything else is in each team&apos;s
            own audit log.
          </p>
          <Card>
            <ul className="divide-y divide-slate-100">
              {audit.data?.items.length === 0 ? <li className={td}>No instance events yet.</li> : null}
              {audit.data?.items.map((event) => (
                <li key={event.id} className={`${td} flex flex-wrap gap-x-3`}>
                  <span className="font-mono text-slate-900">{event.kind}</span>
                  <span>{event.actorLabel ?? event.actorType}</span>
                  <span className="text-slate-500">{JSON.stringify(event.data)}</span>
                  <time className="ml-auto text-xs text-slate-500" dateTime={event.createdAt.toISOString()}>
                    {event.createdAt.toLocaleString()}
                  </time>
                </li>
              ))}
            </ul>
          </Card>
        </Section>
      </div>
    </>
  );
}
