"use client";
import { clsx } from "clsx";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { signOut } from "next-auth/react";
import { type KeyboardEvent, type ReactNode, useEffect, useState } from "react";
import { Logo } from "../logo";
import { RoleBadge } from "../ui";
import { helpHref } from "./help-links";
import {
  ApiIcon,
  AuditIcon,
  DeploymentsIcon,
  FleetIcon,
  HostsIcon,
  MenuIcon,
  OverviewIcon,
  SecretsIcon,
  TeamIcon,
  TemplatesIcon,
  WebhooksIcon,
  WorkflowsIcon,
} from "./icons";
import { type CurrentTeam, TeamProvider } from "./team-context";

const NAV = [
  { href: "", label: "Overview", icon: OverviewIcon },
  { href: "/hosts", label: "Hosts", icon: HostsIcon },
  { href: "/fleet", label: "Fleet", icon: FleetIcon },
  { href: "/workflows", label: "Workflows", icon: WorkflowsIcon },
  { href: "/templates", label: "Templates", icon: TemplatesIcon },
  { href: "/deployments", label: "Deployments", icon: DeploymentsIcon },
  { href: "/team", label: "Team", icon: TeamIcon },
  { href: "/audit", label: "Audit", icon: AuditIcon },
  { href: "/settings/secrets", label: "Variables and secrets", icon: SecretsIcon },
  { href: "/settings/webhooks", label: "Webhooks", icon: WebhooksIcon },
  { href: "/api", label: "API", icon: ApiIcon },
];

type SwitcherTeam = { slug: string; name: string; role: string };

/** What the instance lets this user do: drives "New team" and the "Instance" link (the server re-checks). */
interface InstanceRights {
  canCreateTeams: boolean;
  instanceAdmin: boolean;
}

interface ShellProps {
  team: CurrentTeam;
  teams: SwitcherTeam[];
  user: { email: string; name: string | null };
  instance: InstanceRights;
  children: ReactNode;
}

export function DashboardShell({ team, teams, user, instance, children }: ShellProps) {
  const pathname = usePathname();
  const [open, setOpen] = useState(false);
  // Close the phone menu after navigating.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on path change only
  useEffect(() => setOpen(false), [pathname]);
  const base = `/t/${team.slug}`;

  return (
    <TeamProvider team={team}>
      <div className="min-h-screen lg:flex">
        <a
          href="#main"
          className="sr-only focus:not-sr-only focus:absolute focus:z-50 focus:m-2 focus:rounded focus:bg-white focus:p-2"
        >
          Skip to content
        </a>
        <header className="flex items-center justify-between bg-slate-900 px-4 py-3 text-white lg:hidden">
          <Logo />
          <button
            type="button"
            className="rounded p-2 hover:bg-slate-800"
            aria-expanded={open}
            aria-controls="sidebar"
            onClick={() => setOpen((v) => !v)}
          >
            <MenuIcon />
            <span className="sr-only">Menu</span>
          </button>
        </header>
        <aside
          id="sidebar"
          className={clsx(
            "flex-col bg-slate-900 text-slate-300 lg:sticky lg:top-0 lg:flex lg:h-screen lg:w-64 lg:shrink-0",
            open ? "flex" : "hidden",
          )}
        >
          <div className="hidden px-5 py-5 text-white lg:block">
            <Logo />
          </div>
          {/* Keyed by path so open menus close after navigating. */}
          <TeamSwitcher
            key={`team-${pathname}`}
            team={team}
            teams={teams}
            canCreate={instance.canCreateTeams}
          />
          <nav aria-label="Main" className="flex-1 space-y-1 px-3 py-4">
            {NAV.map(({ href, label, icon: NavIcon }) => {
              const target = base + href;
              const active = href === "" ? pathname === base : pathname.startsWith(target);
              return (
                <Link
                  key={label}
                  href={target}
                  aria-current={active ? "page" : undefined}
                  className={clsx(
                    "flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium transition-colors",
                    active ? "bg-slate-800 text-white" : "hover:bg-slate-800/60 hover:text-white",
                  )}
                >
                  <NavIcon />
                  {label}
                </Link>
              );
            })}
          </nav>
          <UserMenu
            key={`user-${pathname}`}
            user={user}
            role={team.role}
            instanceAdmin={instance.instanceAdmin}
          />
        </aside>
        <main id="main" className="min-w-0 flex-1 px-4 py-6 sm:px-8 lg:py-10">
          <div className="mx-auto max-w-6xl">
            <div className="-mt-2 mb-2 flex justify-end lg:-mt-6">
              <a
                href={helpHref(pathname.slice(base.length))}
                className="rounded px-2 py-1 text-sm font-medium text-sky-700 hover:bg-sky-50 hover:underline"
              >
                Help
              </a>
            </div>
            {children}
          </div>
        </main>
      </div>
    </TeamProvider>
  );
}

/** Escape closes a <details> menu and returns focus to its summary, like a native menu. */
function closeOnEscape(event: KeyboardEvent<HTMLDetailsElement>) {
  if (event.key !== "Escape" || !event.currentTarget.open) return;
  event.currentTarget.open = false;
  event.currentTarget.querySelector("summary")?.focus();
}

function TeamSwitcher({
  team,
  teams,
  canCreate,
}: {
  team: CurrentTeam;
  teams: SwitcherTeam[];
  canCreate: boolean;
}) {
  return (
    <details className="group relative mx-3 mt-3 lg:mt-0" onKeyDown={closeOnEscape}>
      <summary className="flex cursor-pointer items-center justify-between rounded-md border border-slate-700 px-3 py-2 text-sm text-white hover:bg-slate-800">
        <span className="min-w-0">
          <span className="block text-xs text-slate-400">Team</span>
          <span className="block truncate font-medium" data-testid="current-team">
            {team.name}
          </span>
        </span>
        <span aria-hidden className="text-slate-400 group-open:rotate-180">
          ▾
        </span>
      </summary>
      <ul
        aria-label="Your teams"
        className="absolute inset-x-0 z-20 mt-1 rounded-md border border-slate-700 bg-slate-800 py-1 shadow-lg"
      >
        {teams.map((t) => (
          <li key={t.slug}>
            <Link
              href={`/t/${t.slug}`}
              className={clsx(
                "flex items-center justify-between gap-2 px-3 py-2 text-sm hover:bg-slate-700",
                t.slug === team.slug ? "text-white" : "text-slate-300",
              )}
              aria-current={t.slug === team.slug ? "true" : undefined}
            >
              <span className="truncate">{t.name}</span>
              <span className="shrink-0 text-xs text-slate-400">{t.role.toLowerCase()}</span>
            </Link>
          </li>
        ))}
        {canCreate ? (
          <li className="border-t border-slate-700">
            <Link href="/teams/new" className="block px-3 py-2 text-sm text-sky-300 hover:bg-slate-700">
              + New team
            </Link>
          </li>
        ) : null}
      </ul>
    </details>
  );
}

function UserMenu({
  user,
  role,
  instanceAdmin,
}: {
  user: { email: string; name: string | null };
  role: string;
  instanceAdmin: boolean;
}) {
  return (
    <details className="group relative border-t border-slate-800 p-3" onKeyDown={closeOnEscape}>
      <summary
        className="flex cursor-pointer items-center gap-3 rounded-md px-2 py-2 hover:bg-slate-800"
        aria-label="User menu"
      >
        <span
          className="flex h-8 w-8 items-center justify-center rounded-full bg-sky-600 text-sm font-semibold text-white"
          aria-hidden
        >
          {(user.name ?? user.email).charAt(0).toUpperCase()}
        </span>
        <span className="min-w-0 text-sm">
          <span className="block truncate text-white">{user.name ?? user.email}</span>
          <span className="block truncate text-xs text-slate-400">{user.email}</span>
        </span>
      </summary>
      <div className="absolute inset-x-3 bottom-full mb-1 rounded-md border border-slate-700 bg-slate-800 p-2 shadow-lg">
        <div className="flex items-center justify-between px-2 py-1 text-xs text-slate-400">
          Your role <RoleBadge role={role} />
        </div>
        <Link
          href="/account"
          className="mt-1 block rounded px-2 py-2 text-sm text-slate-200 hover:bg-slate-700"
        >
          Your account
        </Link>
        {instanceAdmin ? (
          <Link
            href="/instance"
            className="mt-1 block rounded px-2 py-2 text-sm text-slate-200 hover:bg-slate-700"
          >
            Instance
          </Link>
        ) : null}
        <button
          type="button"
          onClick={() => signOut({ callbackUrl: "/signin" })}
          className="mt-1 w-full rounded px-2 py-2 text-left text-sm text-slate-200 hover:bg-slate-700"
        >
          Sign out
        </button>
      </div>
    </details>
  );
}
