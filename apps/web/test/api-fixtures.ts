// Test-only helpers for the public API: tokens of every role, workflows aimed at one host, and a
// fake agent that drives a host's jobs through the real job engine (claim, step events,
// completion), as the agent would over the protocol. Not imported by application code.
import { setTimeout as sleep } from "node:timers/promises";
import type { PrismaClient, Role } from "@capstan/db";
import { createApiToken } from "../../../packages/core/src/api-tokens/create-api-token";
import { claimNextJob } from "../../../packages/core/src/jobs/claim-job";
import { completeJob } from "../../../packages/core/src/jobs/complete-job";
import { recordJobEvents } from "../../../packages/core/src/jobs/record-job-events";
import { createTestMember } from "../../../packages/core/test/fixtures";

/** A compose workflow with two services (web, then worker) deployed to one named host. */
export function workflowYaml(name: string, hostName: string, image = "capstan-busybox:test"): string {
  return `# ${name}: deployed by the public API tests
name: ${name}
targets:
  hosts: [${hostName}]
services:
  web:
    compose:
      inline:
        services:
          web:
            image: ${image}
  worker:
    dependsOn: [web]
    compose:
      inline:
        services:
          worker:
            image: ${image}
`;
}

export type TokenSet = Record<Role, string> & { revoked: string };

/** One API token per role, made by an owner of the team, plus a revoked DEPLOYER token. */
export async function createTokens(prisma: PrismaClient, teamId: string): Promise<TokenSet> {
  const { actor } = await createTestMember(prisma, teamId, "OWNER");
  const make = async (role: Role, name: string) =>
    (await createApiToken(prisma, actor, { name, role })).token;
  const tokens = {
    OWNER: await make("OWNER", "ci-owner"),
    ADMIN: await make("ADMIN", "ci-admin"),
    DEPLOYER: await make("DEPLOYER", "ci-deployer"),
    VIEWER: await make("VIEWER", "ci-viewer"),
    revoked: await make("DEPLOYER", "ci-revoked"),
  };
  const revoked = await prisma.apiToken.findFirstOrThrow({ where: { teamId, name: "ci-revoked" } });
  await prisma.apiToken.update({ where: { id: revoked.id }, data: { revokedAt: new Date() } });
  return tokens;
}

export interface FakeAgentOptions {
  /** Final state of every job; a failing job fails its last service. */
  outcome: "SUCCEEDED" | "FAILED";
  /** Pause between the step changes, so a watcher can see them. */
  stepDelayMs?: number;
  timeoutMs?: number;
}

/**
 * Claims the host's next job (waiting for one to be queued), reports each service RUNNING then
 * its final state as step events, and completes the job. Returns the job id.
 */
export async function runFakeAgentJob(
  prisma: PrismaClient,
  host: { id: string; name: string },
  options: FakeAgentOptions,
): Promise<string> {
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  let job = await claimNextJob(prisma, { hostId: host.id, leaseSeconds: 60 });
  while (!job) {
    if (Date.now() > deadline) throw new Error(`no job was queued for ${host.name}`);
    await sleep(50);
    job = await claimNextJob(prisma, { hostId: host.id, leaseSeconds: 60 });
  }
  const delay = options.stepDelayMs ?? 0;
  let seq = job.lastSeq;
  const services = job.services.map((s) => s.name);
  const finalState = (index: number) =>
    options.outcome === "FAILED" && index === services.length - 1 ? "FAILED" : "SUCCEEDED";
  for (const [index, service] of services.entries()) {
    for (const state of ["RUNNING", finalState(index)] as const) {
      await recordJobEvents(prisma, {
        hostId: host.id,
        jobId: job.id,
        leaseId: job.leaseId,
        events: [{ seq: ++seq, at: new Date().toISOString(), type: "step", service, state }],
      });
      if (delay > 0) await sleep(delay);
    }
  }
  await completeJob(prisma, {
    hostId: host.id,
    hostName: host.name,
    jobId: job.id,
    request: {
      leaseId: job.leaseId,
      state: options.outcome,
      ...(options.outcome === "FAILED" ? { error: "health check failed" } : {}),
      services: services.map((service, index) => ({
        service,
        state: finalState(index),
        ...(finalState(index) === "FAILED" ? { message: "unhealthy after 30s" } : {}),
      })),
    },
  });
  return job.id;
}
