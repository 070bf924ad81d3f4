// What the dashboard and API see of a revision. Secret values never live in a revision (the spec
// holds secret names only), so a revision view is safe to show to every role.
import { type ServiceKind, serviceKind, type WorkflowSpec } from "@capstan/templates";
import { orderServices } from "@capstan/templates/workflow/order-services";
import type { Db } from "../db";

export interface RevisionSummary {
  id: string;
  number: number;
  contentHash: string;
  message: string | null;
  createdAt: Date;
  author: { id: string; email: string; name: string | null } | null;
}

export interface RevisionDetail extends RevisionSummary {
  workflowId: string;
  source: string;
  spec: WorkflowSpec;
}

export interface ServiceSummary {
  name: string;
  kind: ServiceKind;
  dependsOn: string[];
  secrets: string[];
}

/**
 * Services in deploy order. Stored specs are jsonb, which does not keep key order, so the order
 * comes from dependsOn; ties follow jsonb key order (shorter names first), not the YAML.
 */
export function summarizeServices(spec: WorkflowSpec): ServiceSummary[] {
  return orderServices(spec.services)
    .order.map((name) => [name, spec.services[name]!] as const)
    .map(([name, service]) => ({
      name,
      kind: serviceKind(service),
      dependsOn: service.dependsOn,
      secrets: service.secrets,
    }));
}

type AuthorRow = { id: string; email: string; name: string | null };

/** Authors by id (users may have been deleted since; those come back missing). */
export async function loadAuthors(db: Db, ids: (string | null)[]): Promise<Map<string, AuthorRow>> {
  const unique = [...new Set(ids.filter((id): id is string => id !== null))];
  if (unique.length === 0) return new Map();
  const users = await db.user.findMany({
    where: { id: { in: unique } },
    select: { id: true, email: true, name: true },
  });
  return new Map(users.map((u) => [u.id, u]));
}
