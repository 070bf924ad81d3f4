// Deploy windows: deploy() asks here before anything is written whether the hosts it touches
// belong to an environment inside a freeze window. A freeze refuses the deployment, naming the
// environment and when the freeze ends, unless the caller asks for an override and holds ADMIN on
// every frozen environment (team role narrowed per environment); an override is returned so that
// insertDeployment audits it with the deployment. An override does not skip an approval, and an
// approval given during a freeze is refused unless the deployment was requested with an override:
// the freeze is about when things run, and an approved deployment runs at once.
import { readLabels } from "../columns/labels";
import type { Db } from "../db";
import { matchesSelector } from "../deployments/resolve-target-hosts";
import { conflict, forbidden } from "../errors";
import { hasRole } from "../rbac/roles";
import { readSelector } from "./environment-selector";
import { findActiveFreeze, formatFreezeWindows, formatLocalTime, readFreezeWindows } from "./freeze-windows";
import { type EnvironmentCaller, environmentRoles } from "./require-environment-role";

export interface FrozenEnvironment {
  name: string;
  timeZone: string;
  /** The window now falls in, `fri 16:00 - mon 08:00`. */
  window: string;
  /** Null: its windows cover the whole week. */
  endsAt: Date | null;
}

interface RequireDeployWindowInput {
  teamId: string;
  hosts: { id: string; labels: Record<string, string> }[];
  caller: EnvironmentCaller | null;
  /** The caller asks to deploy through a freeze (ADMIN on every frozen environment). */
  override?: boolean;
  /** For the refusal: "deploy web". */
  doing: string;
  now: Date;
}

async function findFrozenEnvironments(
  db: Db,
  args: Pick<RequireDeployWindowInput, "teamId" | "hosts" | "now">,
): Promise<FrozenEnvironment[]> {
  if (args.hosts.length === 0) return [];
  const environments = await db.environment.findMany({
    where: { teamId: args.teamId },
    select: { name: true, selector: true, freezeWindows: true, timeZone: true },
    orderBy: { slug: "asc" },
  });
  return environments.flatMap((env) => {
    const selector = readSelector(env.selector);
    if (!args.hosts.some((h) => matchesSelector(h.labels, selector))) return [];
    const freeze = findActiveFreeze(readFreezeWindows(env.freezeWindows), env.timeZone, args.now);
    if (!freeze) return [];
    return [
      {
        name: env.name,
        timeZone: env.timeZone,
        window: formatFreezeWindows([freeze.window]),
        endsAt: freeze.endsAt,
      },
    ];
  });
}

function until(env: FrozenEnvironment): string {
  return env.endsAt
    ? `until ${formatLocalTime(env.endsAt, env.timeZone)}, ${env.endsAt.toISOString()}`
    : "with no end: its windows cover the whole week";
}

/** Refuses a deployment into a freeze; returns the frozen environments an allowed override passes. */
export async function requireDeployWindow(
  db: Db,
  input: RequireDeployWindowInput,
): Promise<FrozenEnvironment[]> {
  const frozen = await findFrozenEnvironments(db, input);
  const first = frozen[0];
  if (!first) return [];
  if (!input.override)
    throw conflict(
      `Deploys to the ${first.name} environment are frozen (${first.window}, ${first.timeZone}) ${until(first)}. Deploy after that, or ask an ADMIN to ${input.doing} with a freeze override.`,
      { environment: first.name, freezeEndsAt: first.endsAt?.toISOString() ?? null },
    );
  const caller = input.caller;
  if (!caller)
    throw forbidden(
      `Deploys to the ${first.name} environment are frozen ${until(first)}; only a member with the ADMIN role can override a freeze.`,
    );
  const names = frozen.map((env) => env.name);
  const hostIds = input.hosts.map((h) => h.id);
  const narrowed = await environmentRoles(db, { ...caller, teamId: input.teamId, hostIds });
  // The team role first (an API token's role is its own), then any narrowing on a frozen one.
  const refused = [{ environment: first.name, role: caller.role }, ...narrowed]
    .filter((r) => names.includes(r.environment))
    .find((r) => !hasRole(r.role, "ADMIN"));
  if (refused)
    throw forbidden(
      `Overriding the freeze on the ${refused.environment} environment needs the ADMIN role there; your role there is ${refused.role}. Deploy after the freeze ends, or ask an admin.`,
    );
  return frozen;
}

/** Refuses to open a waiting deployment into a freeze, unless an ADMIN requested it with an override. */
export async function requireDeployWindowToApprove(
  db: Db,
  args: { teamId: string; deploymentId: string; hostIds: string[]; now: Date },
): Promise<void> {
  const overridden = await db.auditEvent.count({
    where: {
      teamId: args.teamId,
      targetType: "deployment",
      targetId: args.deploymentId,
      kind: "deployment.freeze_override",
    },
  });
  if (overridden > 0) return;
  const hosts = await db.host.findMany({
    where: { teamId: args.teamId, id: { in: args.hostIds } },
    select: { id: true, labels: true },
  });
  await requireDeployWindow(db, {
    teamId: args.teamId,
    hosts: hosts.map((h) => ({ id: h.id, labels: readLabels(h.labels) })),
    caller: null,
    doing: "deploy it again",
    now: args.now,
  });
}
