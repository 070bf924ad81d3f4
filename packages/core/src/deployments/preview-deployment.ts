// What the deploy dialog shows before anything is created: the revision, the hosts its workflow
// targets now, and every host that could be chosen instead.

import { serviceKind } from "@capstan/templates";
import { readLabels } from "../columns/labels";
import { readRevisionSpec, STALE_SPEC_MESSAGE } from "../columns/revision-spec";
import type { Db } from "../db";
import { isAppError, notFound } from "../errors";
import { capabilityProblem, findCapabilityRefusals } from "../hosts/host-capabilities";
import { isUuid } from "../ids";
import { resolveTargetHosts, type TargetHost } from "./resolve-target-hosts";

export interface DeploymentPreview {
  workflow: { id: string; name: string };
  revision: { id: string; number: number; message: string | null; createdAt: Date };
  services: string[];
  /** Hosts the workflow's targets select now (empty when `targetsProblem` is set). */
  targets: TargetHost[];
  /**
   * Why the targets cannot be used as they are, e.g. a named host is not enrolled, or cannot run a
   * service kind of the workflow (deploy refuses that too, for hosts chosen instead).
   */
  targetsProblem: string | null;
  /** Every non-revoked host of the team, to choose from instead. */
  hosts: TargetHost[];
}

export async function previewDeployment(
  db: Db,
  args: { teamId: string; revisionId: string },
): Promise<DeploymentPreview> {
  if (!isUuid(args.revisionId)) throw notFound("Revision");
  const revision = await db.revision.findFirst({
    where: { id: args.revisionId, workflow: { teamId: args.teamId } },
    include: { workflow: { select: { id: true, name: true } } },
  });
  if (!revision) throw notFound("Revision");
  const rows = await db.host.findMany({
    where: { teamId: args.teamId, status: { not: "REVOKED" } },
    select: { id: true, name: true, status: true, labels: true, facts: true },
    orderBy: { name: "asc" },
    take: 1000,
  });
  const hosts = rows.map(({ facts: _, ...h }) => ({ ...h, labels: readLabels(h.labels) }));
  const spec = readRevisionSpec(revision.spec);
  let targets: TargetHost[] = [];
  let targetsProblem: string | null = null;
  if (!spec) {
    targetsProblem = STALE_SPEC_MESSAGE;
  } else {
    try {
      targets = await resolveTargetHosts(db, { teamId: args.teamId, targets: spec.targets });
      if (targets.length === 0) targetsProblem = "The workflow's targets match no enrolled host.";
      const ids = new Set(targets.map((t) => t.id));
      const services = Object.entries(spec.services).map(([name, s]) => ({
        name,
        kind: serviceKind(s),
        spec: s,
      }));
      targetsProblem ??= capabilityProblem(
        revision.workflow.name,
        findCapabilityRefusals(
          rows.filter((h) => ids.has(h.id)),
          services,
        ),
      );
    } catch (error) {
      if (!isAppError(error)) throw error;
      targetsProblem = error.message;
    }
  }
  return {
    workflow: revision.workflow,
    revision: {
      id: revision.id,
      number: revision.number,
      message: revision.message,
      createdAt: revision.createdAt,
    },
    services: spec ? Object.keys(spec.services) : [],
    targets,
    targetsProblem,
    hosts,
  };
}
