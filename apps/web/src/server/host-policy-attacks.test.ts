// The host boundary as the attack, end to end (issue 11): the public API's and the agent API's
// real route handlers, served on loopback over a fresh PostgreSQL database, and two real hosts
// with the default (deny-all) host policy: a real agent on this machine's Docker Engine for
// Compose, and a real agent inside a systemd host container (which has no Docker) for units.
// Each hostile capstan.yaml goes through `POST /api/v1/deployments` with an ADMIN API token and
// must answer 422 naming the policy key and the host (so must deploying a revision saved while
// the host allowed it, after its policy narrowed); afterwards neither host shows anything of it:
// no container, volume or mount, nothing in the agent's state, no unit file. A health-check
// command that writes a marker is not visibly dangerous, so it deploys: it must run inside the
// service's sandbox (the container, or the unit's hardening), never as the agent.
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { TeamActor } from "@capstan/core/rbac/team-actor";
import { createWorkflow } from "@capstan/core/workflows/create-workflow";
import { postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import type { DeploymentResult } from "@capstan/protocol/public-api/schemas";
import {
  AGENT_BUNDLE,
  docker,
  dockerEngine,
  dockerImage,
  dockerOk,
  executable,
  type MachineAgent,
  removeComposeProject,
  requireComponents,
  SYSTEMD_HOST_IMAGE,
  type SystemdHost,
} from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DeploymentRequest,
  type RealHosts,
  SD_AGENT_STATE,
  startRealHosts,
} from "../../test/real-hosts";

const IMAGE = "capstan-busybox:test";
const ok = requireComponents(
  "web/host-policy-attacks",
  await postgresAvailable(),
  dockerEngine(),
  dockerImage(IMAGE),
  dockerImage(SYSTEMD_HOST_IMAGE),
  executable("/usr/bin/docker-compose"),
  executable(AGENT_BUNDLE),
);

const sfx = randomBytes(3).toString("hex");
const DOCKER_HOST = `atk-dock-${sfx}`;
const SD_HOST = `atk-sd-${sfx}`;
/** Where the agent in the systemd host keeps its key and state: what a sandbox escape would reach. */
const SD_STATE = SD_AGENT_STATE;
/** Another project's volume and container on the Docker host: what the workflow must not reach. */
const VICTIM = `atk-victim-${sfx}`;
const LABEL = `capstan-test=host-policy-attacks-${sfx}`;

const workflow = (name: string, host: string, services: string) =>
  `name: ${name}\ntargets: { hosts: [${host}] }\nrollout: { autoRollback: false }\nservices:\n${services}`;

const composeService = (compose: string, extra = "") => `  app:
${extra}    compose:
      inline:
${compose}`;

interface Attack {
  key: string;
  host: "docker" | "systemd";
  yaml: string;
  /** Every policy key the 422 must name. */
  policyKeys: string[];
}

const attacks: Attack[] = [
  {
    key: "interpolated-bind",
    host: "docker",
    yaml: composeService(
      `        services:\n          app:\n            image: ${IMAGE}\n            volumes: ["\${ROOT}:/host"]\n`,
      "    env: { ROOT: / }\n",
    ),
    policyKeys: ["allowHostPaths"],
  },
  {
    key: "rbind-volume",
    host: "docker",
    yaml: composeService(
      `        services:\n          app:\n            image: ${IMAGE}\n            volumes: ["root:/host"]\n        volumes:\n          root:\n            driver_opts: { type: none, o: rbind, device: / }\n`,
    ),
    policyKeys: ["allowHostPaths"],
  },
  {
    key: "device-cgroup-rules",
    host: "docker",
    yaml: composeService(
      `        services:\n          app:\n            image: ${IMAGE}\n            device_cgroup_rules: ["a *:* rwm"]\n`,
    ),
    policyKeys: ["allowDevices"],
  },
  {
    key: "volumes-from",
    host: "docker",
    yaml: composeService(
      `        services:\n          app:\n            image: ${IMAGE}\n            volumes_from: ["container:${VICTIM}"]\n`,
    ),
    policyKeys: ["allowExternalVolumes"],
  },
  {
    key: "external-volume",
    host: "docker",
    yaml: composeService(
      `        services:\n          app:\n            image: ${IMAGE}\n            volumes: ["loot:/loot"]\n        volumes:\n          loot:\n            external: true\n            name: ${VICTIM}\n`,
    ),
    policyKeys: ["allowExternalVolumes"],
  },
  {
    key: "root-ish-unit",
    host: "systemd",
    yaml: `  app:
    systemd:
      exec: [/bin/sleep, infinity]
      user: daemon
      requires: [rescue.target]
      hardening:
        AmbientCapabilities: CAP_SYS_ADMIN
        ReadWritePaths: [/]
`,
    policyKeys: ["systemd.users", "systemd.capabilities", "systemd.readWritePaths", "systemd.units"],
  },
];

describe.skipIf(!ok)(
  "hostile workflows through the public API, on real hosts with the default policy",
  () => {
    let db: TestDatabase;
    let hosts: RealHosts;
    let owner: TeamActor;
    let teamId = "";
    let machineAgent: MachineAgent | undefined;
    let sdHost: SystemdHost | undefined;
    const projects: string[] = [];

    const postDeployment = (request: DeploymentRequest) =>
      hosts.api("ADMIN", "/api/v1/deployments?wait=5", request);

    /** Everything of workflow `name` on the Docker host: containers, volumes, agent state. */
    async function dockerHostTraces(name: string): Promise<string[]> {
      const containers = await dockerOk(["ps", "-aq", "--filter", `name=${name}`]);
      const volumes = await dockerOk(["volume", "ls", "-q", "--filter", `name=${name}`]);
      const victimUsers = await dockerOk(["ps", "-aq", "--filter", `volume=${VICTIM}`]);
      const state = machineAgent!.stateDir;
      const files = existsSync(state)
        ? readdirSync(state, { recursive: true, encoding: "utf8" }).filter((f) => f.includes(name))
        : [];
      return [
        ...containers
          .split("\n")
          .filter(Boolean)
          .map((id) => `container ${id}`),
        ...volumes
          .split("\n")
          .filter(Boolean)
          .map((v) => `volume ${v}`),
        // The victim container itself mounts the victim volume; anything else does not belong.
        ...victimUsers
          .split("\n")
          .filter(Boolean)
          .filter((id) => !victimContainerId.startsWith(id))
          .map((id) => `container ${id} uses ${VICTIM}`),
        ...files.map((f) => `agent state ${f}`),
      ];
    }

    /** Everything of workflow `name` on the systemd host: unit files, loaded units, agent state. */
    async function systemdHostTraces(name: string): Promise<string[]> {
      const listing = await sdHost!.exec([
        "sh",
        "-c",
        `ls /etc/systemd/system ${SD_STATE} -R | grep -F -- "${name}" || true`,
      ]);
      const unit = await sdHost!.exec(["systemctl", "cat", `capstan-${name}-app.service`]);
      return [
        ...listing.stdout
          .split("\n")
          .filter(Boolean)
          .map((f) => `file ${f}`),
        ...(unit.code === 0 ? [`unit capstan-${name}-app.service:\n${unit.stdout}`] : []),
      ];
    }

    let victimContainerId = "";

    beforeAll(async () => {
      hosts = await startRealHosts("Host Policy Attacks");
      ({ db, owner, teamId } = hosts);

      // What another project owns on the Docker host.
      await dockerOk(["volume", "create", "--label", LABEL, VICTIM]);
      victimContainerId = (
        await dockerOk(["create", "--name", VICTIM, "--label", LABEL, "-v", `${VICTIM}:/data`, IMAGE, "true"])
      ).trim();

      machineAgent = await hosts.startMachineAgent(DOCKER_HOST);
      // No /etc/capstan/policy.json on the systemd host: the safe defaults apply there too.
      sdHost = await hosts.startSystemdHostAgent(SD_HOST, {
        prefix: "capstan-atk",
        dockerArgs: ["--label", LABEL],
      });
      await Promise.all([hosts.waitOnline(DOCKER_HOST), hosts.waitOnline(SD_HOST)]);
    }, 240_000);

    afterAll(async () => {
      await hosts?.close();
      for (const project of projects) await removeComposeProject(project);
      await docker(["rm", "-f", "-v", VICTIM]);
      await docker(["volume", "rm", VICTIM]);
    }, 120_000);

    it.each(attacks)(
      "$key: answers 422 naming the policy key, and nothing reaches the host",
      async (attack) => {
        const hostName = attack.host === "docker" ? DOCKER_HOST : SD_HOST;
        const name = `atk-${attack.key}-${sfx}`;
        const { status, body } = await postDeployment({ yaml: workflow(name, hostName, attack.yaml) });
        expect(status, JSON.stringify(body)).toBe(422);
        const error = body.error as {
          code: string;
          message: string;
          details: { issues: { text: string }[] };
        };
        expect(error.code).toBe("UNPROCESSABLE");
        expect(error.message).toContain("services.app.");
        expect(error.message).toContain(`on host ${hostName}`);
        const texts = error.details.issues.map((issue) => issue.text).join("\n");
        for (const key of attack.policyKeys) expect(texts).toContain(key);

        // Nothing saved, so nothing can be planned into a job for any agent.
        expect(await db.prisma.workflow.count({ where: { teamId, name } })).toBe(0);
        expect(
          attack.host === "docker" ? await dockerHostTraces(name) : await systemdHostTraces(name),
        ).toEqual([]);
      },
    );

    it("a revision saved while the host allowed it, deployed after its policy narrowed: 422, nothing queued", async () => {
      const name = `atk-narrowed-${sfx}`;
      const host = await db.prisma.host.findFirstOrThrow({ where: { teamId, name: DOCKER_HOST } });
      const cgroup = attacks.find((a) => a.key === "device-cgroup-rules")!;
      await db.prisma.host.update({ where: { id: host.id }, data: { policy: { allowDevices: true } } });
      try {
        await createWorkflow(db.prisma, owner, { source: workflow(name, DOCKER_HOST, cgroup.yaml) });
      } finally {
        await db.prisma.host.update({ where: { id: host.id }, data: { policy: host.policy ?? {} } });
      }
      const { status, body } = await postDeployment({ workflow: name, revision: 1 });
      expect(status, JSON.stringify(body)).toBe(422);
      const error = body.error as { code: string; message: string };
      expect(error.code).toBe("UNPROCESSABLE");
      expect(error.message).toContain(`on ${DOCKER_HOST}:`);
      expect(error.message).toContain("(allowDevices)");
      expect(await db.prisma.deployment.count({ where: { teamId, workflow: { name } } })).toBe(0);
      expect(await dockerHostTraces(name)).toEqual([]);
    });

    it("a Compose health-check command runs in the service's container, never as the agent", async () => {
      const name = `ok-hc-${sfx}`;
      projects.push(`capstan-${name}-app`);
      const hostMarker = join(machineAgent!.stateDir, `hc-marker-${sfx}`);
      const yaml = workflow(
        name,
        DOCKER_HOST,
        composeService(
          `        services:\n          app:\n            image: ${IMAGE}\n            command: [sleep, "3600"]\n`,
          `    healthChecks:\n      - command: [/bin/sh, -c, "mkdir -p ${machineAgent!.stateDir} /var/lib/capstan && echo pwned > ${hostMarker} && echo pwned > /var/lib/capstan/hc-marker-${sfx}"]\n    deadline: 2m\n`,
        ),
      );
      const deployment = await deployAndWait(yaml);
      expect(deployment.status, JSON.stringify(deployment.hosts)).toBe("SUCCEEDED");
      // It ran (its marker is in the container), and not on the host.
      const [container] = (
        await dockerOk(["ps", "-q", "--filter", `label=com.docker.compose.project=capstan-${name}-app`])
      )
        .split("\n")
        .filter(Boolean);
      expect(container, `a running container of capstan-${name}-app\n${hosts.context()}`).toBeTruthy();
      expect((await dockerOk(["exec", container!, "cat", hostMarker])).trim()).toBe("pwned");
      expect(existsSync(hostMarker)).toBe(false);
      expect(existsSync(`/var/lib/capstan/hc-marker-${sfx}`)).toBe(false);
    }, 180_000);

    it("a systemd health-check command runs with the unit's hardening: it cannot write the agent's state", async () => {
      const name = `ok-sdhc-${sfx}`;
      const yaml = `name: ${name}
targets: { hosts: [${SD_HOST}] }
rollout: { autoRollback: false }
services:
  app:
    systemd:
      exec: [/bin/sleep, infinity]
    healthChecks:
      - command: [/bin/sh, -c, "echo pwned > ${SD_STATE}/hc-marker-${sfx}"]
    deadline: 20s
`;
      const deployment = await deployAndWait(yaml);
      // The check cannot write there under ProtectSystem=strict and a dynamic user: the gate fails.
      expect(deployment.status, JSON.stringify(deployment.hosts)).toBe("FAILED");
      expect(deployment.hosts[0]?.steps[0]?.message).toMatch(/\/bin\/sh exited [1-9]/);
      expect((await sdHost!.exec(["test", "-e", `${SD_STATE}/hc-marker-${sfx}`])).code).toBe(1);
      // The health gate ran, so the unit had started: the refusal came from the sandbox. Being a
      // failed first release, what it wrote is gone again.
      expect((await sdHost!.exec(["systemctl", "cat", `capstan-${name}-app.service`])).code).not.toBe(0);
    }, 180_000);

    async function deployAndWait(yaml: string): Promise<DeploymentResult> {
      return hosts.deploy({ yaml });
    }
  },
);
