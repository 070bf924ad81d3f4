// A Compose project's health through the Engine API: container state and Docker healthchecks,
// and command checks run inside the service's container (never on the host as the agent).
import type Dockerode from "dockerode";
import { pause } from "../abort";
import type { DockerHost } from "../docker";
import { type CheckResult, COMMAND_CHECK_TIMEOUT_MS } from "../health";

/**
 * The project's service containers. A release command's one-off container (`compose run`) carries
 * the project label too but is not the service: while it runs it is not what serves, and its
 * new release id must not be taken for the running one.
 */
export const serviceLabels = (project: string) => [
  `com.docker.compose.project=${project}`,
  "com.docker.compose.oneoff=False",
];

/** Container state through the Engine API: every container running, every healthcheck healthy. */
export async function composeContainerHealth(
  docker: Dockerode,
  project: string,
): Promise<CheckResult & { starting: boolean; count: number }> {
  const containers = await docker.listContainers({
    all: true,
    filters: { label: serviceLabels(project) },
  });
  if (!containers.length)
    return { ok: false, starting: false, count: 0, detail: `no containers for ${project}` };
  const problems: string[] = [];
  let starting = false;
  for (const summary of containers) {
    const info = await docker.getContainer(summary.Id).inspect();
    const name = summary.Labels?.["com.docker.compose.service"] ?? info.Name;
    const health = info.State.Health?.Status;
    if (!info.State.Running) problems.push(`${name} is ${info.State.Status} (exit ${info.State.ExitCode})`);
    else if (info.State.Restarting) problems.push(`${name} is restarting`);
    else if (health && health !== "healthy") {
      if (health === "starting") starting = true;
      problems.push(`${name} is ${health}`);
    }
  }
  return problems.length
    ? { ok: false, starting, count: containers.length, detail: problems.join(", ") }
    : {
        ok: true,
        starting: false,
        count: containers.length,
        detail: `${containers.length} container(s) healthy`,
      };
}

/**
 * A command check runs inside the service's container through the Engine API (argv, as the
 * container's user), never on the host as the agent: the container whose Compose service has
 * the Capstan service's name, else the first running one by name.
 */
export async function execInComposeService(
  host: DockerHost,
  project: string,
  capstanService: string,
  argv: readonly string[],
  signal?: AbortSignal,
): Promise<CheckResult> {
  const docker = await host.engine();
  const running = await docker.listContainers({
    filters: { label: serviceLabels(project), status: ["running"] },
  });
  const service = (c: (typeof running)[number]) => c.Labels?.["com.docker.compose.service"] ?? "";
  running.sort((a, b) => service(a).localeCompare(service(b)));
  const target = running.find((c) => service(c) === capstanService) ?? running[0];
  if (!target) return { ok: false, detail: `no running container to run ${argv[0]} in` };
  const timeout = AbortSignal.timeout(COMMAND_CHECK_TIMEOUT_MS);
  const abortSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const exec = await docker
    .getContainer(target.Id)
    .exec({ Cmd: [...argv], AttachStdout: true, AttachStderr: true, abortSignal });
  const stream = await exec.start({ hijack: true, stdin: false, abortSignal });
  // The output is not needed (it may hold anything the check prints); the stream ends when
  // the command exits.
  stream.resume();
  await new Promise<void>((resolve) => {
    stream.once("end", resolve);
    stream.once("close", resolve);
    stream.once("error", () => resolve());
    abortSignal.addEventListener("abort", () => resolve(), { once: true });
  });
  stream.destroy();
  // The exit code can be recorded a moment after the stream closed.
  let info = await exec.inspect();
  while (info.Running && (await pause(100, abortSignal))) info = await exec.inspect();
  if (info.Running) return { ok: false, detail: `${argv[0]} did not finish in time` };
  return info.ExitCode === 0
    ? { ok: true, detail: `${argv[0]} exited 0` }
    : { ok: false, detail: `${argv[0]} exited ${info.ExitCode}` };
}
