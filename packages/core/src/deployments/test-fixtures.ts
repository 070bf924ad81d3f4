// Test fixtures for the job engine (used by core and web tests): a team, a workflow revision,
// hosts with real Ed25519 keys, deployments. Not imported by application code.
import { randomBytes } from "node:crypto";
import type { Prisma, PrismaClient } from "@capstan/db";
import { type AgentKeyPair, generateAgentKeyPair } from "@capstan/protocol";
import { type WorkflowSpecInput, workflowSpecSchema } from "@capstan/templates";
import { type DeployResult, deploy } from "./deploy";

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

export async function createTestTeam(prisma: PrismaClient) {
  const slug = uniqueName("team");
  return prisma.team.create({ data: { name: slug, slug } });
}

/**
 * A revision with compose services `a`, `b`, ... (b depends on a), all with busybox images.
 * Rolls out to all hosts at once without auto-rollback unless `rollout` says otherwise.
 */
export async function createTestRevision(
  prisma: PrismaClient,
  teamId: string,
  options: {
    workflow?: string;
    services?: string[];
    secrets?: string[];
    rollout?: WorkflowSpecInput["rollout"];
    registries?: WorkflowSpecInput["registries"];
    tls?: WorkflowSpecInput["tls"];
    /** Domains of every service (issue 15). */
    domains?: WorkflowSpecInput["services"][string]["domains"];
    /** Secrets the services name (default: `secrets`). */
    serviceSecrets?: string[];
    /** Project files from Git; each service then runs the repository's `compose.yaml`. */
    source?: WorkflowSpecInput["source"];
  } = {},
) {
  const name = options.workflow ?? uniqueName("wf");
  const serviceNames = options.services ?? ["app"];
  const services: WorkflowSpecInput["services"] = {};
  serviceNames.forEach((service, index) => {
    services[service] = {
      compose: options.source
        ? { file: "compose.yaml" }
        : { inline: { services: { [service]: { image: "capstan-busybox:test" } } } },
      dependsOn: index > 0 ? [serviceNames[index - 1]!] : [],
      secrets: options.serviceSecrets ?? options.secrets ?? [],
      ...(options.domains ? { domains: options.domains } : {}),
    };
  });
  const spec = workflowSpecSchema.parse({
    name,
    targets: { selector: { role: "web" } },
    rollout: options.rollout ?? { batchSize: "100%", autoRollback: false },
    secrets: options.secrets ?? [],
    registries: options.registries,
    tls: options.tls,
    source: options.source,
    services,
  });
  const workflow = await prisma.workflow.upsert({
    where: { teamId_name: { teamId, name } },
    create: { teamId, name },
    update: {},
  });
  const count = await prisma.revision.count({ where: { workflowId: workflow.id } });
  return prisma.revision.create({
    data: {
      workflowId: workflow.id,
      number: count + 1,
      source: "# test",
      spec: spec as unknown as Prisma.InputJsonObject,
      contentHash: randomBytes(16).toString("hex"),
    },
  });
}

export interface TestHost {
  id: string;
  name: string;
  keys: AgentKeyPair;
}

/** A host row with a fresh key pair, as enrollment would leave it (status ONLINE). */
export async function createTestHost(
  prisma: PrismaClient,
  teamId: string,
  name = uniqueName("host"),
): Promise<TestHost> {
  const keys = generateAgentKeyPair();
  const host = await prisma.host.create({
    data: {
      teamId,
      name,
      publicKey: keys.publicKey,
      status: "ONLINE",
      lastSeenAt: new Date(),
      labels: { role: "web" },
    },
  });
  return { id: host.id, name: host.name, keys };
}

export function deployTo(
  prisma: PrismaClient,
  teamId: string,
  revisionId: string,
  hostIds: string[],
  extra: { queueTimeoutSeconds?: number } = {},
): Promise<DeployResult> {
  return deploy(prisma, {
    teamId,
    revision: revisionId,
    hostIds,
    allowHostsOutsideTargets: true,
    actor: { type: "SYSTEM", label: "test" },
    caller: null,
    ...extra,
  });
}
