// From a Git repository to a running service, end to end (issue 13): the public API's and the
// agent API's real route handlers on loopback over a fresh PostgreSQL database, a real Git server
// on loopback (git http-backend) holding a Compose project, and a real agent on this machine's
// Docker Engine. The project builds `FROM` a local image, reads an `env_file`, binds a config file
// of the repository and a `./data` folder the repository lacks, and has a release command. Every
// deploy resolves `main` on the control plane; the host only ever sees the bundle.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { rollbackDeployment } from "@capstan/core/deployments/rollback-deployment";
import { getHost } from "@capstan/core/hosts/get-host";
import { auditActor, type TeamActor } from "@capstan/core/rbac/team-actor";
import { postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import type { DeploymentResult } from "@capstan/protocol/public-api/schemas";
import { composeBuildImageTag } from "@capstan/templates/compose/compose-project";
import {
  AGENT_BUNDLE,
  docker,
  dockerEngine,
  dockerImage,
  dockerOk,
  executable,
  type GitHttpServer,
  type GitTestRepository,
  type MachineAgent,
  removeComposeProject,
  requireComponents,
  startGitHttpServer,
  waitFor,
} from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DeploymentRequest, type RealHosts, startRealHosts } from "../../test/real-hosts";
import { freePort } from "./agent/test-server";

const IMAGE = "capstan-busybox:test";
const ok = requireComponents(
  "web/deploy-from-git",
  await postgresAvailable(),
  dockerEngine(),
  dockerImage(IMAGE),
  executable("/usr/bin/docker-compose"),
  executable("/usr/lib/git-core/git-http-backend"),
  executable(AGENT_BUNDLE),
);

const sfx = randomBytes(3).toString("hex");
const HOST = `git-dock-${sfx}`;
const NAME = `gitapp-${sfx}`;
const PROJECT = `capstan-${NAME}-app`;

/** The repository's files: a config file served as /site.txt, a release script baked into the image. */
function projectFiles(port: number, site: string, release: string) {
  return {
    "compose.yaml": `services:
  web:
    build: .
    env_file: app.env
    ports: ["127.0.0.1:${port}:8080"]
    # httpd as PID 1 ignores SIGTERM: without this every replacement waits out the default 10 s.
    stop_grace_period: 1s
    volumes:
      - ./site.txt:/www/site.txt:ro
      - ./data:/www/data
`,
    Dockerfile: `FROM ${IMAGE}
COPY release.sh /release.sh
CMD ["/bin/sh", "-c", "echo \\"$GREETING\\" > /www/greeting.txt && exec httpd -f -p 8080 -h /www"]
`,
    "app.env": `GREETING=hello from app.env\n`,
    "site.txt": `${site}\n`,
    "release.sh": { content: release, mode: 0o755 },
  };
}

const RELEASE_OK = `#!/bin/sh\necho "release of $(cat /www/site.txt)" >> /www/data/releases.log\n`;
const RELEASE_FAILS = `#!/bin/sh\necho "migration failed" >&2\nexit 3\n`;

describe.skipIf(!ok)("deploy a Compose project from a Git repository to a real host", () => {
  let hosts: RealHosts;
  let db: TestDatabase;
  let gitServer: GitHttpServer | undefined;
  let repo: GitTestRepository;
  let owner: TeamActor;
  let teamId = "";
  let port = 0;
  let machineAgent: MachineAgent | undefined;
  const commits: string[] = [];
  const deployments: DeploymentResult[] = [];

  const context = () => hosts.context();
  const waitFinal = (first: DeploymentResult) => hosts.waitFinal(first);

  async function deployLatest(request: DeploymentRequest) {
    const result = await hosts.deploy(request);
    deployments.push(result);
    return result;
  }

  /** The deployment's log lines as the agent sent them. */
  async function logLines(deploymentId: string): Promise<string[]> {
    const events = await db.prisma.jobEvent.findMany({
      where: { job: { deploymentId } },
      orderBy: [{ jobId: "asc" }, { seq: "asc" }],
    });
    return events.map((e) => e.message);
  }

  const waitLogLine = (deploymentId: string, pattern: RegExp) =>
    waitFor(
      `a log line ${pattern} in deployment ${deploymentId}`,
      async () => (await logLines(deploymentId)).some((line) => pattern.test(line)),
      { timeoutMs: 30_000, context },
    );

  async function shipped(deploymentId: string) {
    const row = await db.prisma.deployment.findUniqueOrThrow({ where: { id: deploymentId } });
    return row.source as { kind: string; sha256: string; commit?: { sha: string; ref: string } } | null;
  }

  /** GET on the published port; null while nothing answers. */
  async function get(path: string): Promise<string | null> {
    try {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) });
      return response.ok ? (await response.text()).trim() : null;
    } catch {
      return null;
    }
  }

  async function waitServed(path: string, expected: string) {
    let last: string | null = null;
    await waitFor(
      `GET ${path} to answer ${JSON.stringify(expected)}`,
      async () => {
        last = await get(path);
        return last === expected;
      },
      { timeoutMs: 60_000, context: () => `last answer: ${JSON.stringify(last)}\n${context()}` },
    );
  }

  const imageId = (tag: string) => dockerOk(["image", "inspect", "-f", "{{.Id}}", tag]).then((s) => s.trim());
  const dataDir = () => join(machineAgent!.stateDir, "compose", NAME, "app", "data", "data");
  const gitFetches = () => gitServer!.requests.filter((r) => r.url.includes("git-upload-pack")).length;

  beforeAll(async () => {
    // The repository is on loopback: this control plane may reach private addresses.
    hosts = await startRealHosts("Deploy From Git", { allowPrivateOutbound: true });
    ({ db, owner, teamId } = hosts);

    gitServer = await startGitHttpServer();
    repo = gitServer.createRepository(`shop-${sfx}`);
    port = await freePort();
    commits.push(repo.commit(projectFiles(port, "config one", RELEASE_OK), { message: "first" }));

    machineAgent = await hosts.startMachineAgent(HOST);
    await hosts.waitOnline(HOST);
  }, 180_000);

  afterAll(async () => {
    await hosts?.close();
    await removeComposeProject(PROJECT);
    // Only the images this workflow built (capstan/<workflow>-<service>-<compose service>:<hash>).
    const images = await docker(["image", "ls", "-q", "--filter", `reference=capstan/${NAME}-app-web`]);
    const ids = [...new Set(images.stdout.split("\n").filter(Boolean))];
    if (ids.length) await docker(["image", "rm", "-f", ...ids]);
    await gitServer?.close();
    delete process.env.CAPSTAN_OUTBOUND_ALLOW_PRIVATE;
  }, 120_000);

  const workflowYaml = () => `name: ${NAME}
targets: { hosts: [${HOST}] }
rollout: { autoRollback: false }
source:
  git: { url: "${repo.url}", ref: main }
services:
  app:
    compose: { file: compose.yaml }
    release: { command: [/bin/sh, /release.sh] }
    deadline: 4m
`;

  it("deploys the branch's commit: built on the host, env_file read, config bound, release run", async () => {
    const first = await deployLatest({ yaml: workflowYaml() });
    expect(first.status, `${JSON.stringify(first.hosts)}\n${context()}`).toBe("SUCCEEDED");
    const source = await shipped(first.id);
    expect(source?.kind).toBe("git");
    expect(source?.commit?.sha).toBe(commits[0]);
    await waitServed("/site.txt", "config one");
    expect(await get("/greeting.txt")).toBe("hello from app.env");
    await waitLogLine(first.id, /compose: building web as capstan\//);
    // The release command ran once, in the new image, with the data folder mounted.
    expect(readFileSync(join(dataDir(), "releases.log"), "utf8")).toBe("release of config one\n");
    // The host page names the commit that runs (the agent knows none: the deploy's source does).
    const host = await db.prisma.host.findFirstOrThrow({ where: { teamId, name: HOST } });
    const service = await waitFor(
      "the host to report the service",
      async () =>
        (await getHost(db.prisma, { teamId, hostId: host.id })).services.find((s) => s.workflow === NAME),
      { timeoutMs: 30_000, context },
    );
    expect(service.stats?.commit).toBe(commits[0]);
  }, 300_000);

  it("data written in ./data survives a redeploy of a new commit", async () => {
    const [container] = (
      await dockerOk(["ps", "-q", "--filter", `label=com.docker.compose.project=${PROJECT}`])
    )
      .split("\n")
      .filter(Boolean);
    expect(container, `a running container of ${PROJECT}\n${context()}`).toBeTruthy();
    await dockerOk(["exec", container!, "sh", "-c", "echo kept > /www/data/note.txt"]);
    expect(await get("/data/note.txt")).toBe("kept");
    expect(existsSync(join(dataDir(), "note.txt"))).toBe(true);

    commits.push(repo.commit({ "site.txt": "config two\n" }, { message: "second" }));
    const second = await deployLatest({ workflow: NAME, revision: "latest" });
    expect(second.status, `${JSON.stringify(second.hosts)}\n${context()}`).toBe("SUCCEEDED");
    expect((await shipped(second.id))?.commit?.sha).toBe(commits[1]);
    await waitServed("/site.txt", "config two");
    expect(await get("/data/note.txt")).toBe("kept");
    expect(readFileSync(join(dataDir(), "releases.log"), "utf8")).toBe(
      "release of config one\nrelease of config two\n",
    );
  }, 300_000);

  it("deploying the same commit again does not rebuild", async () => {
    const before = await shipped(deployments[1]!.id);
    const tag = composeBuildImageTag(NAME, "app", "web", before!.sha256);
    const idBefore = await imageId(tag);
    const fetchesBefore = gitFetches();
    const third = await deployLatest({ workflow: NAME, revision: "latest" });
    // The branch was resolved again (on the control plane), and it still names the same commit.
    expect(gitFetches()).toBeGreaterThan(fetchesBefore);
    expect(third.status, `${JSON.stringify(third.hosts)}\n${context()}`).toBe("SUCCEEDED");
    const source = await shipped(third.id);
    expect(source?.commit?.sha).toBe(commits[1]);
    expect(source?.sha256).toBe(before!.sha256);
    await waitLogLine(third.id, /not rebuilding web/);
    expect((await logLines(third.id)).filter((line) => /compose: building/.test(line))).toEqual([]);
    expect(await imageId(tag)).toBe(idBefore);
    await waitServed("/site.txt", "config two");
  }, 300_000);

  it("a rollback ships the first deployment's commit again, without Git and without a build", async () => {
    const fetchesBefore = gitFetches();
    const rollback = await rollbackDeployment(db.prisma, {
      caller: null,
      teamId,
      deploymentId: deployments[0]!.id,
      actor: auditActor(owner),
      createdById: owner.userId,
    });
    const back = await waitFinal({ id: rollback.deployment.id, final: false } as DeploymentResult);
    deployments.push(back);
    expect(back.status, `${JSON.stringify(back.hosts)}\n${context()}`).toBe("SUCCEEDED");
    expect((await shipped(back.id))?.commit?.sha).toBe(commits[0]);
    expect(gitFetches()).toBe(fetchesBefore);
    await waitServed("/site.txt", "config one");
    expect(await get("/data/note.txt")).toBe("kept");
    expect((await logLines(back.id)).filter((line) => /compose: building/.test(line))).toEqual([]);
  }, 300_000);

  it("a failing release command fails the deployment and leaves the previous release serving", async () => {
    commits.push(
      repo.commit({ "site.txt": "config three\n", "release.sh": { content: RELEASE_FAILS, mode: 0o755 } }),
    );
    const failed = await deployLatest({ workflow: NAME, revision: "latest" });
    expect(failed.status, `${JSON.stringify(failed.hosts)}\n${context()}`).toBe("FAILED");
    expect((await shipped(failed.id))?.commit?.sha).toBe(commits[2]);
    expect(failed.hosts[0]?.steps[0]?.message).toMatch(/release command \/bin\/sh .* exited with 3/);
    expect(failed.hosts[0]?.steps[0]?.message).toContain("migration failed");
    expect(await get("/site.txt")).toBe("config one");
    expect(await get("/data/note.txt")).toBe("kept");
    // The one-off release container is gone; only the service's container of the old release runs.
    const left = await dockerOk([
      "ps",
      "-a",
      "--format",
      "{{.Names}}",
      "--filter",
      `label=com.docker.compose.project=${PROJECT}`,
    ]);
    expect(left.split("\n").filter(Boolean)).toHaveLength(1);
  }, 300_000);
});
