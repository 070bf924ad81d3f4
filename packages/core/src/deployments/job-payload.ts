import type { ServiceKind, ServiceSpec } from "@capstan/templates";

/**
 * What a job row stores: everything the agent needs except secret values, which are decrypted
 * at claim time and only sent in the poll answer (never stored in clear).
 */
export interface JobPayload {
  workflow: { id: string; name: string };
  revision: { id: string; number: number; hash: string };
  rollback: boolean;
  /** The workflow's rollout.autoRollback: on a failed health gate the host restores its previous release. */
  autoRollback?: boolean;
  /** In dependsOn order. */
  services: { name: string; kind: ServiceKind; spec: ServiceSpec }[];
}
