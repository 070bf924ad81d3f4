// Approvals on a real host (issue 18): the public API's and the agent API's real route handlers on
// loopback over a fresh PostgreSQL database, and a real agent on this machine's Docker Engine, its
// host in a protected production environment. A DEPLOYER token's deploy waits with the agent idle
// and nothing on the Engine; the requester's own approval is refused; another member's approval
// lets the agent deploy it for real; a rejected deploy and an expired one end with nothing started.
import { randomBytes } from "node:crypto";
import { createApiToken } from "@capstan/core/api-tokens/create-api-token";
import { saveEnvironment } from "@capstan/core/environments/save-environment";
import { createWorkflow } from "@capstan/core/workflows/create-workflow";
import type { DeploymentResult } from "@capstan/protocol/public-api/schemas";
import {
  composeContainers,
  type MachineAgent,
  removeComposeProject,
  requireComponents,
  waitFor,
} from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestMember } from "../../../../packages/core/test/fixtures";
import { BUSYBOX_IMAGE, machineAgentComponents, type RealHosts, startRealHosts } from "../../test/real-hosts";

const IMAGE = BUSYBOX_IMAGE;
const ok = requireComponents("web/deployment-approvals-real-host", ...(await machineAgentComponents()));

const sfx = randomBytes(3).toString("hex");
const HOST = `appr-dock-${sfx}`;
/** One workflow per case, so "nothing started" is "no container of its Compose project". */
const WORKFLOWS = { approved: `appr-ok-${sfx}`, rejected: `appr-no-${sfx}`, expired: `appr-late-${sfx}` };
const projectOf = (workflow: string) => `capstan-${workflow}-web`;

const workflowYaml = (name: string) => `name: ${name}
targets: { hosts: [${HOST}] }
services:
  web:
    compose:
      inline:
        services:
          app:
            image: ${IMAGE}
            command: [sleep, "3600"]
            stop_grace_period: 1s
`;

describe.skipIf(!ok)("a deploy to a protected environment on a real host", { timeout: 240_000 }, () => {
  let hosts: RealHosts;
  let agent: MachineAgent;
  let hostId = "";
  /** The requester is an ADMIN (so only authorship refuses their approval), deploying as DEPLOYER. */
  const tokens = {} as Record<"requesterDeploy" | "requesterAdmin" | "approver", string>;

  const call = async (token: keyof typeof tokens, path: string, body?: unknown) => {
    const response = await fetch(`${hosts.url}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${tokens[token]}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  /** Deploys the workflow's saved revision with the requester's DEPLOYER token; it must wait. */
  async function requestDeploy(workflow: string): Promise<DeploymentResult> {
    // wait=0: a waiting deployment would hold the request for the whole default wait.
    const created = await call("requesterDeploy", "/api/v1/deployments?wait=0", {
      workflow,
      revision: "latest",
    });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const result = created.body as unknown as DeploymentResult;
    expect(result.status).toBe("AWAITING_APPROVAL");
    return result;
  }

  const jobOf = (deploymentId: string) => hosts.db.prisma.job.findFirstOrThrow({ where: { deploymentId } });

  /**
   * Nothing of this deployment reached the host: two heartbeats after it was asked for (the
   * agent's long poll would have been answered at once had its job been claimable), the job was
   * never claimed, the agent never logged it, and the Engine has no container of its project.
   */
  async function expectNothingRan(deploymentId: string, workflow: string) {
    const { createdAt } = await hosts.db.prisma.deployment.findUniqueOrThrow({ where: { id: deploymentId } });
    await waitFor(
      "the agent's contact two heartbeats after the request",
      async () => {
        const host = await hosts.db.prisma.host.findUniqueOrThrow({ where: { id: hostId } });
        return host.lastSeenAt && host.lastSeenAt.getTime() > createdAt.getTime() + 4_000;
      },
      { timeoutMs: 60_000, context: hosts.context },
    );
    const job = await jobOf(deploymentId);
    expect(job.claimedAt).toBeNull();
    expect(agent.logs()).not.toContain(job.id);
    expect(agent.logs()).not.toContain(workflow);
    expect(await composeContainers(projectOf(workflow), true)).toEqual([]);
  }

  beforeAll(async () => {
    // Heartbeats every 2 s (instead of 15), so "two heartbeats after the request" comes soon.
    process.env.CAPSTAN_AGENT_HEARTBEAT_SECONDS = "2";
    hosts = await startRealHosts("Approvals on a real host");
    const { db, teamId, owner } = hosts;
    const requester = await createTestMember(db.prisma, teamId, "ADMIN", "requester");
    const approver = await createTestMember(db.prisma, teamId, "ADMIN", "approver");
    const token = async (actor: typeof owner, name: string, role: "ADMIN" | "DEPLOYER") =>
      (await createApiToken(db.prisma, actor, { name, role })).token;
    tokens.requesterDeploy = await token(requester.actor, "ci", "DEPLOYER");
    tokens.requesterAdmin = await token(requester.actor, "ci-admin", "ADMIN");
    tokens.approver = await token(approver.actor, "ops", "ADMIN");

    agent = await hosts.startMachineAgent(HOST);
    hostId = await hosts.waitOnline(HOST);
    await db.prisma.host.update({ where: { id: hostId }, data: { labels: { env: "production" } } });
    await saveEnvironment(db.prisma, owner, {
      name: "production",
      selector: "env=production",
      requiresApproval: true,
      approverRole: "ADMIN",
      approvalTtlMinutes: 60,
    });
    // Saved by an admin as in the dashboard: a DEPLOYER token deploys existing revisions only.
    for (const name of Object.values(WORKFLOWS))
      await createWorkflow(db.prisma, owner, { source: workflowYaml(name) });
  }, 180_000);

  afterAll(async () => {
    await hosts?.close();
    for (const workflow of Object.values(WORKFLOWS)) await removeComposeProject(projectOf(workflow));
  }, 120_000);

  it("waits with the agent idle; the requester's own approval is refused; another member's runs it", async () => {
    const waiting = await requestDeploy(WORKFLOWS.approved);
    await expectNothingRan(waiting.id, WORKFLOWS.approved);

    for (const token of ["requesterDeploy", "requesterAdmin"] as const) {
      const own = await call(token, `/api/v1/deployments/${waiting.id}/approve`, {});
      expect(own.status).toBe(403);
      expect(JSON.stringify(own.body)).toContain("You asked for this deployment");
    }
    expect((await call("approver", `/api/v1/deployments/${waiting.id}`)).body.status).toBe(
      "AWAITING_APPROVAL",
    );
    expect(await composeContainers(projectOf(WORKFLOWS.approved), true)).toEqual([]);

    const approved = await call("approver", `/api/v1/deployments/${waiting.id}/approve`, {});
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const final = await hosts.waitFinal(approved.body as unknown as DeploymentResult);
    expect(final.status, `${JSON.stringify(final.hosts)}\n${hosts.context()}`).toBe("SUCCEEDED");
    expect(await composeContainers(projectOf(WORKFLOWS.approved))).toHaveLength(1);
    expect(agent.logs()).toContain((await jobOf(waiting.id)).id);
  });

  it("a rejected deploy ends CANCELLED and nothing of it starts", async () => {
    const waiting = await requestDeploy(WORKFLOWS.rejected);
    const rejected = await call("approver", `/api/v1/deployments/${waiting.id}/reject`, {});
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);
    expect(rejected.body).toMatchObject({ status: "CANCELLED", final: true });
    expect((await jobOf(waiting.id)).state).toBe("CANCELLED");
    await expectNothingRan(waiting.id, WORKFLOWS.rejected);
  });

  it("a deploy whose approval expires is ended by the job engine's sweep and nothing of it starts", async () => {
    const waiting = await requestDeploy(WORKFLOWS.expired);
    await hosts.db.prisma.deployment.update({
      where: { id: waiting.id },
      data: { approvalExpiresAt: new Date(Date.now() - 1000) },
    });
    // The agent API's own job engine (started by the agent's first request) runs the sweep.
    const ended = await waitFor(
      "the approval sweep to end the expired deployment",
      async () => {
        const d = await hosts.db.prisma.deployment.findUniqueOrThrow({ where: { id: waiting.id } });
        return d.status === "CANCELLED" ? d : null;
      },
      { timeoutMs: 60_000, context: hosts.context },
    );
    expect(ended.error).toMatch(/^Approval expired/);
    expect((await jobOf(waiting.id)).state).toBe("CANCELLED");
    await expectNothingRan(waiting.id, WORKFLOWS.expired);
  });
});
