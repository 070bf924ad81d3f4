// Day-2 actions end to end (issue 14): the `capstan` CLI and the public API against the real route
// handlers on a fresh PostgreSQL database, with two real hosts: a real agent on this machine's
// Docker Engine for Compose, and a real agent inside a systemd host container for units. List,
// stop (it stays stopped through an agent restart), start, restart (new PID / container start
// time), reload, one-off commands (output, exit code, hostile argv kept as one argument each,
// VIEWER and DEPLOYER refused), undeploy (named volume and state kept; gone after the typed
// confirmation, and a wrong confirmation deletes nothing).
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import type { TestDatabase } from "@capstan/db/testing";
import {
  composeContainers,
  docker,
  dockerImage,
  dockerOk,
  removeComposeProject,
  requireComponents,
  SYSTEMD_HOST_IMAGE,
  type SystemdHost,
  waitFor,
} from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX_IMAGE, machineAgentComponents, type RealHosts, startRealHosts } from "../../test/real-hosts";
import { runCli } from "../../test/run-cli";

const IMAGE = BUSYBOX_IMAGE;
const ok = requireComponents(
  "web/service-actions",
  ...(await machineAgentComponents()),
  dockerImage(SYSTEMD_HOST_IMAGE),
);

const sfx = randomBytes(3).toString("hex");
const DOCKER_HOST = `act-dock-${sfx}`;
const SD_HOST = `act-sd-${sfx}`;
const COMPOSE_WF = `actc-${sfx}`;
const SD_WF = `acts-${sfx}`;
const PROJECT = `capstan-${COMPOSE_WF}-app`;
const VOLUME = `${PROJECT}_data`;
const UNIT = `capstan-${SD_WF}-app.service`;
const STATE = `act-${sfx}`;

const composeYaml = `name: ${COMPOSE_WF}
targets: { hosts: [${DOCKER_HOST}] }
rollout: { autoRollback: false }
services:
  app:
    compose:
      inline:
        services:
          app:
            image: ${IMAGE}
            command: [sleep, "3600"]
            volumes: ["data:/data"]
        volumes:
          data: {}
`;
// On SIGHUP the program notes a reload in its state directory (kept by an undeploy).
const sdYaml = `name: ${SD_WF}
targets: { hosts: [${SD_HOST}] }
rollout: { autoRollback: false }
services:
  app:
    systemd:
      exec: [/bin/sh, -c, "trap 'echo reloaded >> $STATE_DIRECTORY/reloads' HUP; echo kept > $STATE_DIRECTORY/data; while true; do sleep 1; done"]
      reloadSignal: HUP
      hardening: { StateDirectory: ${STATE} }
    deadline: 60s
`;

describe.skipIf(!ok)(
  "service actions on real hosts, through the CLI and the API",
  { timeout: 240_000 },
  () => {
    let hosts: RealHosts;
    let db: TestDatabase;
    let url = "";
    let teamId = "";
    const tokens: Record<"ADMIN" | "DEPLOYER" | "VIEWER", string> = { ADMIN: "", DEPLOYER: "", VIEWER: "" };
    const hostIds: Record<string, string> = {};
    let sdHost: SystemdHost | undefined;

    const cli = (role: keyof typeof tokens, ...args: string[]) =>
      runCli(args, { CAPSTAN_URL: url, CAPSTAN_TOKEN: tokens[role] });
    const api = (role: keyof typeof tokens, path: string, body?: unknown) => hosts.api(role, path, body);
    /** `capstan undeploy`, deleting data when `confirm` is given. */
    const undeploy = (role: keyof typeof tokens, workflow: string, host: string, confirm?: string) =>
      cli(
        role,
        "undeploy",
        workflow,
        "--host",
        host,
        ...(confirm ? ["--delete-volumes", "--confirm", confirm] : []),
      );
    const deploymentCount = () => db.prisma.deployment.count({ where: { teamId } });
    const health = (host: string, workflow: string) =>
      db.prisma.serviceHealth.findFirst({ where: { hostId: hostIds[host], workflow } });
    const sd = async (...args: string[]) => (await sdHost!.exec(args)).stdout.trim();
    const mainPid = () => sd("systemctl", "show", "--property=MainPID", "--value", UNIT);
    const startedAt = async () =>
      (
        await dockerOk([
          "inspect",
          "-f",
          "{{.State.Running}} {{.State.StartedAt}}",
          (await composeContainers(PROJECT, true))[0]!,
        ])
      ).trim();

    async function deploy(yaml: string): Promise<void> {
      const result = await hosts.deploy({ yaml });
      expect(result.status, `${JSON.stringify(result.hosts)}\n${hosts.context()}`).toBe("SUCCEEDED");
    }

    beforeAll(async () => {
      hosts = await startRealHosts("Service Actions");
      ({ db, url, teamId } = hosts);
      for (const role of ["ADMIN", "DEPLOYER", "VIEWER"] as const) tokens[role] = await hosts.token(role);
      await hosts.startMachineAgent(DOCKER_HOST);
      sdHost = await hosts.startSystemdHostAgent(SD_HOST, { prefix: "capstan-act", restartAlways: true });
      for (const name of [DOCKER_HOST, SD_HOST]) hostIds[name] = await hosts.waitOnline(name);
      await Promise.all([deploy(composeYaml), deploy(sdYaml)]);
    }, 240_000);

    afterAll(async () => {
      await hosts?.close();
      await removeComposeProject(PROJECT);
      await docker(["volume", "rm", VOLUME]);
    }, 120_000);

    it("lists what each host runs", async () => {
      await waitFor(
        "both hosts to report their service",
        async () => (await health(DOCKER_HOST, COMPOSE_WF)) && (await health(SD_HOST, SD_WF)),
      );
      const listed = await cli("VIEWER", "services", DOCKER_HOST);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toMatch(new RegExp(`${COMPOSE_WF}/app\\s+compose\\s+\\w+\\s+r1\\s+no`));
      const units = await cli("VIEWER", "services", SD_HOST);
      expect(units.stdout).toMatch(new RegExp(`${SD_WF}/app\\s+systemd\\s+\\w+\\s+r1\\s+yes`));
    });

    it("refuses one-off commands to a VIEWER and a DEPLOYER, queueing nothing", async () => {
      const before = await deploymentCount();
      const body = { workflow: COMPOSE_WF, service: "app", argv: ["true"] };
      for (const role of ["VIEWER", "DEPLOYER"] as const) {
        const refused = await api(role, `/api/v1/hosts/${hostIds[DOCKER_HOST]}/run`, body);
        expect(refused.status).toBe(403);
        const viaCli = await cli(role, "run", `${COMPOSE_WF}/app`, "--host", DOCKER_HOST, "--", "true");
        expect(viaCli.code).toBe(4);
        expect(viaCli.stderr).toContain("ADMIN");
      }
      expect(
        (
          await api("VIEWER", `/api/v1/hosts/${hostIds[DOCKER_HOST]}/service-actions`, {
            ...body,
            action: "stop",
          })
        ).status,
      ).toBe(403);
      expect(await deploymentCount()).toBe(before);
    });

    it("runs a command in a new container of the service: output, exit code, hostile argv as single arguments, audited", async () => {
      const marker = `/tmp/pwned-${sfx}`;
      const hostile = [
        "--privileged",
        "/etc/passwd",
        `a\ntouch ${marker}`,
        `$(touch ${marker})`,
        `; touch ${marker}`,
      ];
      const echoed = await cli(
        "ADMIN",
        "run",
        `${COMPOSE_WF}/app`,
        "--host",
        DOCKER_HOST,
        "--",
        "printf",
        "[%s]\\n",
        ...hostile,
      );
      expect(echoed.code, echoed.stderr).toBe(0);
      expect(echoed.stdout).toBe(
        `[--privileged]\n[/etc/passwd]\n[a\ntouch ${marker}]\n[$(touch ${marker})]\n[; touch ${marker}]\n`,
      );
      const failed = await cli(
        "ADMIN",
        "run",
        `${COMPOSE_WF}/app`,
        "--host",
        DOCKER_HOST,
        "--",
        "sh",
        "-c",
        "echo out-$$; ls /data; exit 7",
      );
      expect(failed.code, failed.stderr).toBe(7);
      expect(failed.stdout).toMatch(/^out-\d+\n/);
      // Nothing ran on the host, and the one-off containers are gone.
      expect(existsSync(marker)).toBe(false);
      expect(await composeContainers(PROJECT, true)).toHaveLength(1);
      const audit = await db.prisma.auditEvent.findMany({ where: { teamId, kind: "service.run" } });
      expect(audit.map((a) => (a.data as { argv: string[] }).argv)).toContainEqual([
        "printf",
        "[%s]\\n",
        ...hostile,
      ]);
    });

    it("runs a command in a transient unit with the service's user and sandbox", async () => {
      const run = await cli(
        "ADMIN",
        "run",
        `${SD_WF}/app`,
        "--host",
        SD_HOST,
        "--",
        "/bin/sh",
        "-c",
        "id -u; cat $STATE_DIRECTORY/data; echo x > /var/lib/capstan/pwned; exit 3",
      );
      expect(run.code, run.stderr).toBe(3);
      const [uid, data] = run.stdout.split("\n");
      expect(Number(uid)).toBeGreaterThan(0);
      expect(data).toBe("kept");
      expect((await sdHost!.exec(["test", "-e", "/var/lib/capstan/pwned"])).code).toBe(1);
    });

    it("stops a unit that stays stopped through an agent restart, starts, restarts (new PID) and reloads it", async () => {
      const stop = await cli("DEPLOYER", "stop", `${SD_WF}/app`, "--host", SD_HOST);
      expect(stop.code, stop.stdout + stop.stderr).toBe(0);
      expect(await sd("systemctl", "is-active", UNIT)).toBe("inactive");
      const agentPid = await sd("systemctl", "show", "--property=MainPID", "--value", "capstan-agent");
      await sdHost!.exec(["systemctl", "kill", "--signal=SIGKILL", "capstan-agent"]);
      await waitFor("the agent to come back", async () => {
        const pid = await sd("systemctl", "show", "--property=MainPID", "--value", "capstan-agent");
        return pid !== "0" && pid !== agentPid;
      });
      const restartedAt = new Date();
      await waitFor("the restarted agent to report, the unit still STOPPED", async () => {
        const host = await db.prisma.host.findUniqueOrThrow({ where: { id: hostIds[SD_HOST] } });
        return (host.lastSeenAt?.getTime() ?? 0) > restartedAt.getTime() + 3000;
      });
      expect((await health(SD_HOST, SD_WF))?.status).toBe("STOPPED");
      expect(await sd("systemctl", "is-active", UNIT)).toBe("inactive");

      expect((await cli("DEPLOYER", "start", `${SD_WF}/app`, "--host", SD_HOST)).code).toBe(0);
      expect(await sd("systemctl", "is-active", UNIT)).toBe("active");
      const pid = await mainPid();
      expect((await cli("DEPLOYER", "restart", `${SD_WF}/app`, "--host", SD_HOST)).code).toBe(0);
      expect(await mainPid()).not.toBe(pid);

      const restarted = await mainPid();
      const reload = await cli("DEPLOYER", "reload", `${SD_WF}/app`, "--host", SD_HOST);
      expect(reload.code, reload.stdout + reload.stderr).toBe(0);
      await waitFor("the program to see SIGHUP", async () =>
        (await sd("sh", "-c", `cat /var/lib/${STATE}/reloads`)).includes("reloaded"),
      );
      expect(await mainPid()).toBe(restarted);
    });

    it("stops, starts and restarts a Compose service (new start time); reload is refused with the way out", async () => {
      expect((await cli("DEPLOYER", "stop", `${COMPOSE_WF}/app`, "--host", DOCKER_HOST)).code).toBe(0);
      expect(await startedAt()).toMatch(/^false /);
      expect((await cli("DEPLOYER", "start", `${COMPOSE_WF}/app`, "--host", DOCKER_HOST)).code).toBe(0);
      const started = await startedAt();
      expect(started).toMatch(/^true /);
      expect((await cli("DEPLOYER", "restart", `${COMPOSE_WF}/app`, "--host", DOCKER_HOST)).code).toBe(0);
      expect(await startedAt()).not.toBe(started);
      const reload = await cli("DEPLOYER", "reload", `${COMPOSE_WF}/app`, "--host", DOCKER_HOST);
      expect(reload.code).toBe(4);
      expect(reload.stderr).toContain("restart it instead");
    });

    it("undeploys: a wrong confirmation deletes nothing; named volume and state kept; gone after the typed name", async () => {
      const before = await deploymentCount();
      const wrong = await undeploy("ADMIN", COMPOSE_WF, DOCKER_HOST, "shop");
      expect(wrong.code).toBe(4);
      expect(wrong.stderr).toContain(`confirm set to the workflow's name (${COMPOSE_WF})`);
      const asDeployer = await api("DEPLOYER", `/api/v1/hosts/${hostIds[DOCKER_HOST]}/undeploy`, {
        workflow: COMPOSE_WF,
        removeVolumes: true,
        confirm: COMPOSE_WF,
      });
      expect(asDeployer.status).toBe(403);
      expect(await deploymentCount()).toBe(before);
      expect(await startedAt()).toMatch(/^true /);

      const keep = await undeploy("DEPLOYER", COMPOSE_WF, DOCKER_HOST);
      expect(keep.code, keep.stdout + keep.stderr).toBe(0);
      expect(await composeContainers(PROJECT, true)).toEqual([]);
      expect((await docker(["volume", "inspect", VOLUME])).code).toBe(0);
      const unit = await undeploy("DEPLOYER", SD_WF, SD_HOST);
      expect(unit.code, unit.stdout + unit.stderr).toBe(0);
      expect((await sdHost!.exec(["systemctl", "cat", UNIT])).code).not.toBe(0);
      expect(await sd("cat", `/var/lib/private/${STATE}/data`)).toBe("kept");
      // The control plane no longer lists them, and the hosts no longer report them.
      expect(await health(DOCKER_HOST, COMPOSE_WF)).toBeNull();
      const listed = await cli("VIEWER", "services", SD_HOST);
      expect(listed.stdout).not.toContain(SD_WF);
      expect((await cli("DEPLOYER", "start", `${SD_WF}/app`, "--host", SD_HOST)).code).toBe(4);

      await Promise.all([deploy(composeYaml), deploy(sdYaml)]);
      const purge = await undeploy("ADMIN", COMPOSE_WF, DOCKER_HOST, COMPOSE_WF);
      expect(purge.code, purge.stdout + purge.stderr).toBe(0);
      expect((await docker(["volume", "inspect", VOLUME])).code).not.toBe(0);
      const purgeUnit = await undeploy("ADMIN", SD_WF, SD_HOST, SD_WF);
      expect(purgeUnit.code, purgeUnit.stdout + purgeUnit.stderr).toBe(0);
      expect((await sdHost!.exec(["test", "-e", `/var/lib/private/${STATE}`])).code).toBe(1);
      await waitFor(
        "the hosts' heartbeats to stay without them",
        async () => !(await health(DOCKER_HOST, COMPOSE_WF)) && !(await health(SD_HOST, SD_WF)),
      );
    });
  },
);
