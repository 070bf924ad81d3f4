// One control plane on loopback (the public API's and the agent API's real route handlers over a
// fresh PostgreSQL database) with one team, its API tokens, and real agents enrolled into it: the
// setup the end-to-end tests in src/server share. Agents are a process on this machine (for its
// Docker Engine) or a transient unit inside a systemd host container (for units).
import { createApiToken } from "@capstan/core/api-tokens/create-api-token";
import { createEnrollmentToken } from "@capstan/core/enrollment/create-enrollment-token";
import { auditActor, type TeamActor } from "@capstan/core/rbac/team-actor";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import type { DeploymentResult } from "@capstan/protocol/public-api/schemas";
import {
  AGENT_BUNDLE,
  type ComponentCheck,
  dockerEngine,
  dockerImage,
  dockerOk,
  executable,
  type MachineAgent,
  type SystemdHost,
  startMachineAgent,
  startSystemdHost,
  waitFor,
} from "@capstan/testkit";
import { createTestMember, createTestTeam } from "../../../packages/core/test/fixtures";
import { type LoopbackServer, serveOnLoopback } from "./test-routes";

/** Where the systemd host's agent finds its bundle (mounted read-only) and keeps its state. */
const SD_AGENT_BUNDLE = "/opt/capstan/capstan-agent.cjs";
export const SD_AGENT_STATE = "/var/lib/capstan";

/** The local stand-in image the Compose workflows of these tests run. */
export const BUSYBOX_IMAGE = "capstan-busybox:test";

/**
 * What a machine agent deploying Compose needs (PostgreSQL, the Engine, the busybox image,
 * docker-compose, the agent's bundle), for requireComponents with the test's own extras.
 */
export async function machineAgentComponents(): Promise<ComponentCheck[]> {
  return [
    await postgresAvailable(),
    dockerEngine(),
    dockerImage(BUSYBOX_IMAGE),
    executable("/usr/bin/docker-compose"),
    executable(AGENT_BUNDLE),
  ];
}

type TokenRole = "ADMIN" | "DEPLOYER" | "VIEWER";
export type DeploymentRequest = { yaml: string } | { workflow: string; revision: number | "latest" };

export interface RealHosts {
  db: TestDatabase;
  url: string;
  teamId: string;
  owner: TeamActor;
  /** The team's API token for this role (one per role, made on first use). */
  token(role: TokenRole): Promise<string>;
  /** A real agent on this machine's Docker Engine, enrolled as `hostName`; stopped by close(). */
  startMachineAgent(hostName: string): Promise<MachineAgent>;
  /**
   * A systemd host container whose agent runs as the transient unit `capstan-agent` (no unit
   * file of its own to confuse checks on /etc/systemd/system); removed by close().
   * `restartAlways`: killing the agent is then an agent restart over the same state directory.
   */
  startSystemdHostAgent(
    hostName: string,
    options: { prefix: string; dockerArgs?: string[]; restartAlways?: boolean },
  ): Promise<SystemdHost>;
  /** Waits until the host has enrolled and is ONLINE; its id. */
  waitOnline(hostName: string): Promise<string>;
  /** A request to the public API with the role's token (GET without a body, else POST). */
  api(
    role: TokenRole,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  /** POST /api/v1/deployments, then long-polls the deployment until it is final. */
  deploy(request: DeploymentRequest, role?: TokenRole): Promise<DeploymentResult>;
  /** Long-polls a deployment until it is final (fails the test if it is not within 4 minutes). */
  waitFinal(first: DeploymentResult, role?: TokenRole): Promise<DeploymentResult>;
  /** The agents' last log lines, for failure messages. */
  context(): string;
  close(): Promise<void>;
}

export async function startRealHosts(
  teamName: string,
  options: { allowPrivateOutbound?: boolean } = {},
): Promise<RealHosts> {
  const db = await createTestDatabase();
  process.env.DATABASE_URL = db.url;
  // A Git repository on loopback is a private address the control plane must be allowed to reach.
  if (options.allowPrivateOutbound) process.env.CAPSTAN_OUTBOUND_ALLOW_PRIVATE = "true";
  // Imported only now: the app's env module reads its variables when first loaded.
  const agentRoutes = await (await import("./agent-dispatch")).loadAgentRoutes();
  const publicRoutes = await (await import("./api-dispatch")).loadPublicApiRoutes();
  const { stopAgentEngine } = await import("@/server/agent/engine");
  // The CLI's install script and single file (GET /cli, GET /cli/capstan.mjs).
  const cliRoutes: Record<string, () => Promise<(request: Request) => Promise<Response>>> = {
    "/cli": async () => (await import("../src/app/cli/route")).GET,
    "/cli/capstan.mjs": async () => (await import("../src/app/cli/capstan.mjs/route")).GET,
  };
  const server: LoopbackServer = await serveOnLoopback(async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname.startsWith("/api/agent/")) return agentRoutes(request);
    if (request.method === "GET" && cliRoutes[pathname]) return (await cliRoutes[pathname]())(request);
    return publicRoutes(request);
  });
  const url = server.url;
  const teamId = (await createTestTeam(db.prisma, teamName)).id;
  const owner = (await createTestMember(db.prisma, teamId, "OWNER")).actor;
  const tokens = new Map<TokenRole, Promise<string>>();
  const machineAgents: MachineAgent[] = [];
  const systemdHosts: SystemdHost[] = [];

  const token = (role: TokenRole) => {
    if (!tokens.has(role))
      tokens.set(
        role,
        createApiToken(db.prisma, owner, { name: `ci-${role.toLowerCase()}`, role }).then((t) => t.token),
      );
    return tokens.get(role)!;
  };
  const enrollmentToken = async (hostName: string) =>
    (
      await createEnrollmentToken(db.prisma, {
        teamId,
        actor: auditActor(owner),
        createdById: owner.userId,
        input: { hostName },
      })
    ).token;
  const context = () =>
    [
      ...machineAgents.map((a) => `--- machine agent ---\n${a.tail(40)}`),
      ...systemdHosts.map((h) => `--- systemd host agent: \`journalctl -u capstan-agent\` in ${h.name}`),
    ].join("\n");

  const api: RealHosts["api"] = async (role, path, body) => {
    const response = await fetch(`${url}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${await token(role)}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  const waitFinal: RealHosts["waitFinal"] = async (first, role = "ADMIN") => {
    let result = first;
    const deadline = Date.now() + 240_000;
    while (!result.final && Date.now() < deadline)
      result = (await api(role, `/api/v1/deployments/${result.id}?wait=20`))
        .body as unknown as DeploymentResult;
    if (!result.final) throw new Error(`deployment ${result.id} still ${result.status}\n${context()}`);
    return result;
  };

  return {
    db,
    url,
    teamId,
    owner,
    token,
    context,
    api,
    waitFinal,
    async deploy(request, role = "ADMIN") {
      const created = await api(role, "/api/v1/deployments?wait=5", request);
      if (![200, 201, 202].includes(created.status))
        throw new Error(
          `POST /api/v1/deployments answered ${created.status}: ${JSON.stringify(created.body)}`,
        );
      return waitFinal(created.body as unknown as DeploymentResult, role);
    },
    async startMachineAgent(hostName) {
      const agent = startMachineAgent({ url, token: await enrollmentToken(hostName) });
      machineAgents.push(agent);
      return agent;
    },
    async startSystemdHostAgent(hostName, { prefix, dockerArgs = [], restartAlways = false }) {
      const host = await startSystemdHost(prefix, [
        ...dockerArgs,
        "-v",
        `${AGENT_BUNDLE}:${SD_AGENT_BUNDLE}:ro`,
      ]);
      systemdHosts.push(host);
      // biome-ignore format: systemd-run's options read best one per line
      await dockerOk([
        "exec", host.name, "systemd-run", "--unit", "capstan-agent",
        ...(restartAlways ? ["--property=Restart=always", "--property=RestartSec=1"] : []),
        `--setenv=CAPSTAN_URL=${url}`,
        `--setenv=CAPSTAN_ENROLLMENT_TOKEN=${await enrollmentToken(hostName)}`,
        `--setenv=CAPSTAN_HOST_NAME=${hostName}`,
        `--setenv=CAPSTAN_STATE_DIR=${SD_AGENT_STATE}`,
        "--setenv=CAPSTAN_HEARTBEAT_SECONDS=2",
        "/usr/local/bin/node", SD_AGENT_BUNDLE, "run",
      ]);
      return host;
    },
    async waitOnline(hostName) {
      const host = await waitFor(
        `host ${hostName} to enroll and come ONLINE`,
        () => db.prisma.host.findFirst({ where: { teamId, name: hostName, status: "ONLINE" } }),
        { timeoutMs: 90_000, context },
      );
      return host.id;
    },
    async close() {
      for (const agent of machineAgents) await agent.stop();
      for (const host of systemdHosts) await host.remove();
      await server.close();
      await stopAgentEngine();
      await db.drop();
    },
  };
}
