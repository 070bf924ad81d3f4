// Creates an environment, or renames it / changes its selector (ADMIN, checked by the caller).
// A changed selector moves hosts in or out at once: roles are matched against labels per call.
import type { Environment } from "@capstan/db";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { badRequest, conflict, isAppError } from "../errors";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { checkTeamName, slugifyTeamName } from "../teams/slugify-team-name";
import { parseSelector } from "./environment-selector";
import { checkTimeZone, parseFreezeWindows } from "./freeze-windows";
import { getEnvironment } from "./get-environment";

export interface SaveEnvironmentInput {
  /** Absent: create one. */
  environmentId?: string;
  name: string;
  /** `env=production, tier=web` */
  selector: string;
  /** Protection: deployments touching its hosts wait for an approval (defaults: off, ADMIN, 60 min). */
  requiresApproval?: boolean;
  approverRole?: "DEPLOYER" | "ADMIN" | "OWNER";
  approvalTtlMinutes?: number;
  /** Deploy windows closed, one a line: `fri 16:00 - mon 08:00` (absent: unchanged; empty: none). */
  freezeWindows?: string;
  /** IANA name the windows are read in (absent: unchanged, UTC for a new one). */
  timeZone?: string;
}

/** An approval waits 5 minutes to 7 days: shorter cannot be acted on, longer goes stale. */
export const APPROVAL_TTL_MINUTES = { min: 5, max: 7 * 24 * 60 };

function protectionOf(input: SaveEnvironmentInput) {
  const ttl = input.approvalTtlMinutes;
  if (
    ttl !== undefined &&
    (!Number.isInteger(ttl) || ttl < APPROVAL_TTL_MINUTES.min || ttl > APPROVAL_TTL_MINUTES.max)
  )
    throw badRequest(
      `An approval waits ${APPROVAL_TTL_MINUTES.min} to ${APPROVAL_TTL_MINUTES.max} minutes (7 days); ${ttl} is outside that.`,
    );
  if (input.approverRole !== undefined && !["DEPLOYER", "ADMIN", "OWNER"].includes(input.approverRole))
    throw badRequest("The approver role is DEPLOYER, ADMIN or OWNER.");
  return {
    requiresApproval: input.requiresApproval,
    approverRole: input.approverRole,
    approvalTtlMinutes: ttl,
  };
}

function slugOf(name: string): string {
  try {
    return slugifyTeamName(name);
  } catch (error) {
    if (isAppError(error)) throw badRequest("Use an environment name with at least one letter or digit.");
    throw error;
  }
}

export async function saveEnvironment(
  db: Db,
  actor: TeamActor,
  input: SaveEnvironmentInput,
): Promise<Environment> {
  const name = checkTeamName(input.name);
  const slug = slugOf(name);
  const selector = parseSelector(input.selector);
  const protection = {
    ...protectionOf(input),
    freezeWindows: input.freezeWindows === undefined ? undefined : parseFreezeWindows(input.freezeWindows),
    timeZone: input.timeZone === undefined ? undefined : checkTimeZone(input.timeZone),
  };
  const before = input.environmentId ? await getEnvironment(db, actor.teamId, input.environmentId) : null;
  const taken = await db.environment.findFirst({
    where: { teamId: actor.teamId, slug, id: before ? { not: before.id } : undefined },
    select: { name: true },
  });
  if (taken) throw conflict(`The environment ${taken.name} already has this name (${slug}); choose another.`);
  const saved = before
    ? await db.environment.update({ where: { id: before.id }, data: { name, slug, selector, ...protection } })
    : await db.environment.create({ data: { teamId: actor.teamId, name, slug, selector, ...protection } });
  const protectionAudit = {
    requiresApproval: saved.requiresApproval,
    approverRole: saved.approverRole,
    approvalTtlMinutes: saved.approvalTtlMinutes,
    freezeWindows: saved.freezeWindows,
    timeZone: saved.timeZone,
  };
  await recordAuditEvent(db, {
    teamId: actor.teamId,
    actor: auditActor(actor),
    kind: before ? "environment.updated" : "environment.created",
    target: { type: "environment", id: saved.id },
    data: before
      ? {
          name,
          selector,
          ...protectionAudit,
          before: {
            name: before.name,
            selector: before.selector as Record<string, string>,
            requiresApproval: before.requiresApproval,
            approverRole: before.approverRole,
            approvalTtlMinutes: before.approvalTtlMinutes,
            freezeWindows: before.freezeWindows,
            timeZone: before.timeZone,
          },
        }
      : { name, selector, ...protectionAudit },
  });
  return saved;
}
