// Claims the next job for a host. Claims for one host are serialised by a transaction-scoped
// advisory lock, which is what makes "at most one RUNNING job per host and service" hold under
// concurrency (the check reads other jobs, which row locks alone cannot protect). Across hosts
// nothing is serialised: FOR UPDATE SKIP LOCKED lets concurrent claimers pass each other.
import type { JobAssignment } from "@capstan/protocol";
import { domainNames, readHostPolicy } from "@capstan/templates";
import { recordAuditEvent } from "../audit/record-audit-event";
import { type JobPayload, readJobPayload } from "../columns/job-payload";
import { type Db, withTransaction } from "../db";
import { isAppError } from "../errors";
import { settleDeployments } from "../lifecycle/settle-deployments";
import { substituteTeamVariables } from "../variables/substitute-team-variables";
import { checkCustomCertificate, decodePemSecret } from "./check-custom-certificate";
import { jobPolicyRefusal } from "./job-policy-refusal";

/** Decrypts the named secrets of a workflow; throws when one cannot be decrypted. */
export type SecretResolver = (args: {
  teamId: string;
  workflowId: string;
  names: string[];
}) => Promise<Record<string, string>>;

interface ClaimedRow {
  id: string;
  teamId: string;
  deploymentId: string;
  leaseId: string;
  leaseExpiresAt: Date;
  deadlineAt: Date;
  attempt: number;
  lastSeq: number;
  payload: unknown;
  hostPolicy: unknown;
  serverTime: Date;
}

export interface ClaimJobArgs {
  hostId: string;
  leaseSeconds: number;
  resolveSecrets?: SecretResolver;
}

// The claim itself is the SQL function capstan_claim_job (migration 20261203211923_claim_job_function):
// an indexed pre-check (most polls find nothing and take no lock), then a per-host advisory lock,
// then one statement that picks the host's next runnable job FOR UPDATE SKIP LOCKED (not waiting
// for its approval, its rollout wave open, no RUNNING or older queued job of the same workflow and
// service on the host, the host neither revoked nor awaiting approval), claims it with a new lease
// id (the fencing token) and a lease capped by the job's deadline, starts its deployment and writes
// the job.claimed audit event. One round trip, and planned once per connection, not per claim.
async function claimRow(db: Db, hostId: string, leaseSeconds: number): Promise<ClaimedRow | null> {
  const rows = await db.$queryRaw<ClaimedRow[]>`
    SELECT * FROM capstan_claim_job(${hostId}::uuid, ${leaseSeconds}::double precision)`;
  return rows[0] ?? null;
}

/** Fails a job right after claiming it (secrets or team variables unavailable): the deploy never starts with empty values. */
async function failClaimedJob(db: Db, row: ClaimedRow, message: string): Promise<void> {
  await withTransaction(db, async (tx) => {
    await tx.$executeRaw`UPDATE "Job" SET state = 'FAILED', error = ${message}, "finishedAt" = now(), "leaseExpiresAt" = NULL
      WHERE id = ${row.id}::uuid AND state = 'RUNNING' AND "leaseId" = ${row.leaseId}::uuid`;
    await tx.$executeRaw`UPDATE "JobStep" SET state = 'SKIPPED', message = 'not started: ' || ${message}
      WHERE "jobId" = ${row.id}::uuid AND state = 'PENDING'`;
    await recordAuditEvent(tx, {
      teamId: row.teamId,
      actor: { type: "SYSTEM" },
      kind: "job.failed",
      target: { type: "job", id: row.id },
      data: { deploymentId: row.deploymentId, error: message },
    });
  });
  await settleDeployments(db, [row.deploymentId]);
}

/** The workflow's tls, with its ACME EAB key decrypted like service secrets (only into the claim answer). */
async function resolveTls(
  row: ClaimedRow,
  payload: JobPayload,
  resolveSecrets: SecretResolver | undefined,
): Promise<JobAssignment["tls"]> {
  if (payload.tls?.issuer === "custom") return resolveCustomCertificate(row, payload, resolveSecrets);
  const name = payload.tls?.acme?.eab?.hmacKey;
  if (!payload.tls || name === undefined) return payload.tls;
  if (!resolveSecrets)
    throw new Error("the ACME EAB key cannot be decrypted on this control plane (no secrets key configured)");
  const values = await resolveSecrets({
    teamId: row.teamId,
    workflowId: payload.workflow.id,
    names: [name],
  }).catch((error: Error) => {
    throw new Error(`the ACME EAB key (tls.acme.eab.hmacKey): ${error.message}`);
  });
  const value = values[name];
  if (typeof value !== "string" || value === "")
    throw new Error(
      `secret ${name} (the ACME EAB key in tls.acme.eab.hmacKey) has no value; set it before deploying`,
    );
  return { ...payload.tls, eabMacKey: value };
}

/** `issuer: custom`: the certificate and key secrets, decrypted and checked (check-custom-certificate.ts). */
async function resolveCustomCertificate(
  row: ClaimedRow,
  payload: JobPayload,
  resolveSecrets: SecretResolver | undefined,
): Promise<JobAssignment["tls"]> {
  const tls = payload.tls!;
  const secrets = { certificate: tls.certificate!, key: tls.key! };
  if (!resolveSecrets)
    throw new Error(
      "the uploaded certificate cannot be decrypted on this control plane (no secrets key configured)",
    );
  const values = await resolveSecrets({
    teamId: row.teamId,
    workflowId: payload.workflow.id,
    names: [secrets.certificate, secrets.key],
  });
  for (const [field, name] of Object.entries(secrets))
    if (typeof values[name] !== "string" || values[name] === "")
      throw new Error(`secret ${name} (tls.${field}) has no value; set it before deploying`);
  const pems = {
    certificate: decodePemSecret(values[secrets.certificate]!),
    key: decodePemSecret(values[secrets.key]!),
  };
  const names = payload.services.flatMap((s) => (s.spec.domains ?? []).flatMap(domainNames));
  checkCustomCertificate(pems, secrets, names);
  return { ...tls, certificatePem: pems.certificate, keyPem: pems.key };
}

/** The registries' passwords, decrypted like service secrets (only into the claim answer). */
async function resolveRegistries(
  row: ClaimedRow,
  payload: JobPayload,
  resolveSecrets: SecretResolver | undefined,
): Promise<NonNullable<JobAssignment["registries"]>> {
  const registries = payload.registries ?? [];
  if (registries.length === 0) return [];
  if (!resolveSecrets)
    throw new Error(
      "registry passwords cannot be decrypted on this control plane (no secrets key configured)",
    );
  const names = [...new Set(registries.map((r) => r.password))];
  const servers = registries.map((r) => r.server).join(", ");
  const values = await resolveSecrets({ teamId: row.teamId, workflowId: payload.workflow.id, names }).catch(
    (error: Error) => {
      throw new Error(`the password of registry ${servers}: ${error.message}`);
    },
  );
  return registries.map((r) => {
    const password = values[r.password];
    if (typeof password !== "string" || password === "")
      throw new Error(
        `secret ${r.password} (the password for registry ${r.server}) has no value; set it before deploying`,
      );
    return { server: r.server, username: r.username, password };
  });
}

async function toAssignment(
  row: ClaimedRow,
  payload: JobPayload,
  resolveSecrets: SecretResolver | undefined,
): Promise<JobAssignment> {
  const services = [];
  for (const service of payload.services) {
    // An action runs what is already on the host: no secret leaves the control plane for it,
    // except for a one-off command, whose output the agent masks with them like a deploy log.
    const names = payload.action && payload.action !== "run" ? [] : service.spec.secrets;
    let secrets: Record<string, string> = {};
    if (names.length > 0) {
      if (!resolveSecrets)
        throw new Error("secrets cannot be decrypted on this control plane (no secrets key configured)");
      secrets = await resolveSecrets({ teamId: row.teamId, workflowId: payload.workflow.id, names });
      const missing = names.filter((n) => typeof secrets[n] !== "string");
      if (missing.length > 0)
        throw new Error(`secret ${missing.join(", ")} has no value; set it before deploying`);
    }
    services.push({ name: service.name, kind: service.kind, spec: service.spec, secrets });
  }
  const registries = payload.action ? [] : await resolveRegistries(row, payload, resolveSecrets);
  const tls = payload.action ? undefined : await resolveTls(row, payload, resolveSecrets);
  return {
    id: row.id,
    deploymentId: row.deploymentId,
    leaseId: row.leaseId,
    leaseExpiresAt: row.leaseExpiresAt.toISOString(),
    leaseSeconds: Math.max(1, Math.round((row.leaseExpiresAt.getTime() - row.serverTime.getTime()) / 1000)),
    deadlineAt: row.deadlineAt.toISOString(),
    serverTime: row.serverTime.toISOString(),
    attempt: row.attempt,
    lastSeq: row.lastSeq,
    workflow: payload.workflow,
    revision: payload.revision,
    rollback: payload.rollback,
    // Jobs planned before the field existed keep the workflow format's default.
    autoRollback: payload.autoRollback ?? true,
    services,
    ...(payload.action ? { action: payload.action } : {}),
    ...(payload.command ? { command: payload.command } : {}),
    ...(payload.removeVolumes ? { removeVolumes: true } : {}),
    ...(registries.length ? { registries } : {}),
    ...(tls ? { tls } : {}),
    // Only when there is one: jobs without project files stay exactly what older agents verify.
    ...(payload.bundle ? { bundle: payload.bundle } : {}),
    hostPolicy: readHostPolicy(row.hostPolicy),
  };
}

/**
 * Claims the host's next runnable job and returns what the agent needs, or null when there is
 * none. A job whose secrets cannot be resolved is failed and the next one is tried.
 */
export async function claimNextJob(db: Db, args: ClaimJobArgs): Promise<JobAssignment | null> {
  for (;;) {
    const row = await claimRow(db, args.hostId, args.leaseSeconds);
    if (!row) return null;
    let payload: JobPayload;
    try {
      payload = readJobPayload(row.payload);
    } catch (error) {
      await failClaimedJob(db, row, `This job cannot be started: ${(error as Error).message}.`);
      continue;
    }
    // An action runs what is already on the host and never reads the spec's env. Substituted
    // before the policy check, so that check sees the values the host will get.
    if (!payload.action) {
      try {
        const services = await substituteTeamVariables(db, {
          teamId: row.teamId,
          workflow: payload.workflow.name,
          services: payload.services,
        });
        payload = { ...payload, services };
      } catch (error) {
        if (!isAppError(error)) throw error;
        await failClaimedJob(db, row, error.message);
        continue;
      }
    }
    // The host's policy may have narrowed since the revision was saved against it.
    const refusal = jobPolicyRefusal(payload.workflow.name, payload.services, readHostPolicy(row.hostPolicy));
    if (refusal) {
      await failClaimedJob(db, row, refusal);
      continue;
    }
    try {
      return await toAssignment(row, payload, args.resolveSecrets);
    } catch (error) {
      const message =
        isAppError(error) || error instanceof Error ? error.message : "secrets could not be resolved";
      await failClaimedJob(db, row, `Secrets could not be resolved: ${message}`);
    }
  }
}
