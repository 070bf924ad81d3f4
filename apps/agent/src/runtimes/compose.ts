// Compose runtime: one folder per project and release under the state directory (env files
// 0600), `up -d --remove-orphans`, and health read from container state through the Engine API
// plus the declared checks. The deploy template (deploy-release.ts) drives it.
import { readFileSync, realpathSync } from "node:fs";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { JobRegistry, LogStreamOptions, OneOffCommand } from "@capstan/protocol";
import type { HealthCheck } from "@capstan/templates";
import { composeProjectName, isComposeService } from "@capstan/templates";
import { renderComposeProject } from "@capstan/templates/compose/render-compose-project";
import type { DockerHost } from "../docker";
import { runChecked, runStreaming } from "../exec";
import { runHealthChecks } from "../health";
import { followContainerLogs, type LineSink } from "../log-streams/follow-container-logs";
import { assertName } from "../names";
import { writeFileAtomic } from "../state";
import { pruneReleases } from "./artifacts";
import type { BundleCache, BundleRef } from "./bundles";
import { composeReleaseBlocker, startComposeBeside } from "./compose-beside";
import { composeContainerHealth, execInComposeService, serviceLabels } from "./compose-health";
import { prepareProject } from "./compose-project";
import { runComposeRelease } from "./compose-release";
import { activeSlot, otherSlot, type Slot, setActiveSlot, slotProjectName } from "./compose-slots";
import { ComposeStats } from "./compose-stats";
import { composeTaskUnits, TASKS_FILE } from "./compose-tasks";
import { containerLogs } from "./container-logs";
import { runInComposeService } from "./one-off-command";
import { explainPullFailure, loginToRegistries, type RegistrySession } from "./registry-login";
import type { StreamedCommand } from "./release-command";
import { checkSchedules, TaskTimers } from "./task-timers";
import type { BesideRelease, Probe, Runtime, ServiceRef, StageRequest, StepContext } from "./types";

export interface ComposeFiles {
  /** The compose document (YAML). */
  compose: string;
  /** Dotenv text with the service's environment and secrets (written 0600). */
  env: string;
  /** Values also passed in the compose process environment (see packages/templates). */
  processEnv?: Record<string, string>;
}

function readProcessEnv(dir: string): Record<string, string> {
  try {
    return JSON.parse(readFileSync(join(dir, "process-env.json"), "utf8")) as Record<string, string>;
  } catch {
    return {};
  }
}

/** What a release folder records about its project: the bundle, the compose file's folder, built images. */
interface ReleaseMeta {
  bundle?: string;
  projectDir?: string;
  images?: string[];
}

function readReleaseMeta(dir: string): ReleaseMeta {
  try {
    return JSON.parse(readFileSync(join(dir, "release.json"), "utf8")) as ReleaseMeta;
  } catch {
    return {};
  }
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The real path of `path`, or of its longest existing ancestor with the rest appended. */
function realPathOnHost(path: string): string | undefined {
  let head = path;
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(head), ...tail);
    } catch {
      const parent = dirname(head);
      if (parent === head) return undefined;
      tail.unshift(basename(head));
      head = parent;
    }
  }
}

/**
 * Renders a compose service's files, checking the host policy again on what will really run:
 * the document interpolated with the real secret values, bind sources with symlinks resolved on
 * this host. The control plane checked it too; the host checks again, since the policy is the
 * host admin's promise and a compromised control plane must not break it.
 */
export function renderComposeFiles(request: StageRequest): ComposeFiles {
  const { spec, ref } = request;
  if (!isComposeService(spec)) throw new Error(`${ref.workflow}/${ref.service} is not a compose service`);
  try {
    return renderComposeProject({
      workflow: ref.workflow,
      service: ref.service,
      spec,
      secrets: request.secrets,
      hostPolicy: request.hostPolicy,
      realPath: realPathOnHost,
    });
  } catch (error) {
    throw hostRefusal(error);
  }
}

/** The renderer's policy refusal, worded as this host's. */
function hostRefusal(error: unknown): unknown {
  const message = (error as Error).message;
  return message?.startsWith("the Compose document is refused")
    ? new Error(`refused by this host's policy: ${message}`)
    : error;
}

export class ComposeRuntime implements Runtime {
  readonly kind = "compose";
  readonly usesDocker = true;
  private readonly resourceUse: ComposeStats;

  constructor(
    private readonly root: string,
    private readonly docker: DockerHost,
    /** The environment compose processes inherit (PATH, DOCKER_HOST...), without agent secrets. */
    private readonly baseEnv: NodeJS.ProcessEnv = {},
    /** Where project bundles come from; without it a job with a bundle is refused. */
    private readonly bundles?: BundleCache,
    /** Where scheduled tasks' timers go; without it a service with tasks is refused. */
    private readonly unitDir?: string,
  ) {
    this.resourceUse = new ComposeStats(docker);
  }

  project(workflow: string, service: string): string {
    return composeProjectName(assertName(workflow, "workflow name"), assertName(service, "service name"));
  }

  /** The Compose project that serves now: the service's active slot (compose-slots.ts). */
  label(ref: ServiceRef): string {
    return this.slotProject(ref, activeSlot(this.serviceDir(ref)));
  }

  names(ref: ServiceRef): string[] {
    return [this.slotProject(ref, "a"), this.slotProject(ref, "b")];
  }

  slotProject(ref: ServiceRef, slot: Slot): string {
    return slotProjectName(this.project(ref.workflow, ref.service), slot);
  }

  /** Which slot serves; what label(), probes, heartbeats and routes follow. */
  activeSlot(ref: ServiceRef): Slot {
    return activeSlot(this.serviceDir(ref));
  }

  setActiveSlot(ref: ServiceRef, slot: Slot): void {
    setActiveSlot(this.serviceDir(ref), slot);
  }

  serviceDir(ref: ServiceRef): string {
    return join(
      this.root,
      assertName(ref.workflow, "workflow name"),
      assertName(ref.service, "service name"),
    );
  }

  releaseDir(workflow: string, service: string, releaseId: string): string {
    return join(this.serviceDir({ workflow, service }), "releases", assertName(releaseId, "release id"));
  }

  async stage(request: StageRequest, ctx: StepContext): Promise<void> {
    const { ref, releaseId, spec } = request;
    if (spec.tasks && Object.keys(spec.tasks).length && !this.unitDir)
      throw new Error("this agent has no systemd unit directory: it cannot schedule tasks");
    await checkSchedules(
      Object.values(spec.tasks ?? {}).map((t) => t.schedule),
      ctx.signal,
    );
    await this.stageFiles(request, ctx);
    const dir = this.releaseDir(ref.workflow, ref.service, releaseId);
    writeFileAtomic(join(dir, TASKS_FILE), JSON.stringify(spec.tasks ?? {}), 0o600);
  }

  private async stageFiles(request: StageRequest, ctx: StepContext): Promise<void> {
    const { ref, releaseId } = request;
    const dir = this.releaseDir(ref.workflow, ref.service, releaseId);
    if (!request.bundle) {
      const files = renderComposeFiles(request);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      return this.writeRelease(dir, files, {});
    }
    const fresh = !(await exists(dir));
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await this.stageProject(request, request.bundle, dir, ctx);
    } catch (error) {
      // A refused or failed release leaves nothing behind (an earlier staging of it stays).
      if (fresh) await rm(dir, { recursive: true, force: true });
      throw hostRefusal(error);
    }
  }

  private writeRelease(dir: string, files: ComposeFiles, meta: ReleaseMeta): void {
    writeFileAtomic(join(dir, ".env"), files.env, 0o600);
    writeFileAtomic(join(dir, "compose.yaml"), files.compose, 0o600);
    if (files.processEnv && Object.keys(files.processEnv).length) {
      writeFileAtomic(join(dir, "process-env.json"), JSON.stringify(files.processEnv), 0o600);
    }
    writeFileAtomic(join(dir, "release.json"), JSON.stringify(meta), 0o600);
  }

  /**
   * The bundle unpacked into `<release>/project` (verified before anything is written), the
   * document rendered against it, the env files and data folders it needs, then the builds.
   */
  private async stageProject(request: StageRequest, bundle: BundleRef, dir: string, ctx: StepContext) {
    const { ref, spec } = request;
    if (!isComposeService(spec)) throw new Error(`${ref.workflow}/${ref.service} is not a compose service`);
    if (!this.bundles) throw new Error("this agent cannot fetch project bundles");
    const { files, images } = await prepareProject({
      ...request,
      spec,
      bundle,
      bundles: this.bundles,
      root: join(dir, "project"),
      unpacked: readReleaseMeta(dir).bundle === bundle.sha256,
      dataRoot: join(this.serviceDir(ref), "data"),
      realPath: realPathOnHost,
      log: ctx.log,
      signal: ctx.signal,
    });
    this.writeRelease(dir, files, {
      bundle: bundle.sha256,
      projectDir: files.dir,
      images: images.map((i) => i.tag),
    });
    for (const { svc, tag } of images) {
      if (await this.imageExists(tag)) {
        ctx.log("info", `compose: image ${tag} exists; not rebuilding ${svc}`);
        continue;
      }
      ctx.log("info", `compose: building ${svc} as ${tag}`);
      await this.compose(ref, request.releaseId, ["build", svc], ctx.signal, ctx.dockerConfig, ctx);
    }
  }

  private async imageExists(tag: string): Promise<boolean> {
    const docker = await this.docker.engine();
    return docker
      .getImage(tag)
      .inspect()
      .then(
        () => true,
        (error: { statusCode?: number }) => {
          if (error.statusCode === 404) return false;
          throw error;
        },
      );
  }

  /** The compose command line for one release; `dockerConfig` carries this deploy's registry logins. */
  async composeCommand(
    ref: ServiceRef,
    releaseId: string,
    args: string[],
    signal?: AbortSignal,
    dockerConfig?: string,
    project = this.label(ref),
  ) {
    const dir = this.releaseDir(ref.workflow, ref.service, releaseId);
    const cli = (await this.docker.composeCli(signal)) ?? (await this.docker.composeCli(signal, true));
    if (!cli)
      throw new Error("neither `docker compose` (v2) nor `docker-compose` (v1) is installed on this host");
    const meta = readReleaseMeta(dir);
    // What the renderer left relative (extends, include) resolves in the compose file's folder.
    const projectDir = meta.bundle ? join(dir, "project", meta.projectDir ?? "") : dir;
    const full = [...cli.prefix, "--project-name", project, "--file", join(dir, "compose.yaml")];
    full.push("--env-file", join(dir, ".env"), "--project-directory", projectDir, ...args);
    const env = {
      ...this.baseEnv,
      ...readProcessEnv(dir),
      ...(dockerConfig ? { DOCKER_CONFIG: dockerConfig } : {}),
    };
    return { program: cli.program, args: full, cwd: dir, env, label: [cli.program, ...full].join(" ") };
  }

  /** Runs compose for a release; with `stream` its output goes line by line into the deploy log. */
  private async compose(
    ref: ServiceRef,
    releaseId: string,
    args: string[],
    signal?: AbortSignal,
    dockerConfig?: string,
    stream?: StepContext,
    project?: string,
  ) {
    const command = await this.composeCommand(ref, releaseId, args, signal, dockerConfig, project);
    const { program, cwd, env } = command;
    if (!stream) {
      await runChecked(program, command.args, { cwd, env, signal, timeoutMs: 15 * 60_000 });
      return;
    }
    await runStreaming(program, command.args, {
      cwd,
      env,
      signal: stream.signal,
      deadline: stream.deadline,
      log: stream.log,
      prefix: `compose ${args[0]}`,
      label: command.label,
      streamStdout: true,
    });
  }

  loginToRegistries(registries: readonly JobRegistry[], ctx: StepContext): Promise<RegistrySession> {
    return loginToRegistries(registries, { env: this.baseEnv, log: ctx.log, signal: ctx.signal });
  }

  runRelease(request: StageRequest, ctx: StepContext): Promise<void> {
    return runComposeRelease(this, this.docker, request, ctx);
  }

  async activate(ref: ServiceRef, releaseId: string, ctx: StepContext): Promise<void> {
    await this.up(ref, releaseId, ctx, this.label(ref));
    await this.syncTasks(ref, releaseId, ctx);
  }

  /** `up` of a release in one Compose project (the active slot, or the idle one beside it). */
  async up(ref: ServiceRef, releaseId: string, ctx: StepContext, project: string): Promise<void> {
    ctx.log("info", `compose: starting ${project} release ${releaseId}`);
    // Images were built while staging (and are kept for rollbacks): `up` never builds.
    const built = readReleaseMeta(this.releaseDir(ref.workflow, ref.service, releaseId)).images?.length;
    const up = ["up", "-d", "--remove-orphans", ...(built ? ["--no-build"] : [])];
    // `up` keeps its own time limit, as before its output was streamed: replacing the old
    // containers can take their stop grace period, and a rollback runs after the deadline.
    const stream = { ...ctx, deadline: Date.now() + 15 * 60_000 };
    await this.compose(ref, releaseId, up, ctx.signal, ctx.dockerConfig, stream, project).catch(
      (error: Error) => {
        throw new Error(explainPullFailure(error.message));
      },
    );
  }

  besideBlocker(ref: ServiceRef, releaseId: string): Promise<string | null> {
    return composeReleaseBlocker(this, ref, releaseId);
  }

  startBeside(ref: ServiceRef, releaseId: string, ctx: StepContext): Promise<BesideRelease> {
    return startComposeBeside(this, ref, releaseId, ctx);
  }

  /** Scheduled tasks run in the active slot's project: synced after every activation or switch. */
  async syncTasks(ref: ServiceRef, releaseId: string, ctx: StepContext): Promise<void> {
    if (this.unitDir)
      await new TaskTimers(this.unitDir).sync(
        ref,
        await composeTaskUnits(this, ref, releaseId, ctx.signal),
        ctx,
      );
  }

  /** Container state through the Engine API: every container running, every healthcheck healthy. */
  async containerHealth(project: string) {
    return composeContainerHealth(await this.docker.engine(), project);
  }

  /** The last lines of each of the project's containers (stdout and stderr), for the deploy log. */
  recentLogs(ref: ServiceRef, lines: number, signal?: AbortSignal, project = this.label(ref)) {
    return containerLogs(this.docker, serviceLabels(project), lines, signal);
  }

  stats(ref: ServiceRef, _checks: readonly HealthCheck[], signal?: AbortSignal) {
    const project = this.label(ref);
    return this.resourceUse.read(project, serviceLabels(project), ref.service, signal);
  }

  followLogs(
    ref: ServiceRef,
    options: LogStreamOptions,
    sink: LineSink,
    signal: AbortSignal,
  ): Promise<string> {
    return followContainerLogs(this.docker, this.label(ref), options, sink, signal);
  }

  /**
   * The release folder the running containers were created from (compose labels them): the
   * active slot's, else the other slot's (an agent stopped in the middle of a switch).
   */
  async currentRelease(ref: ServiceRef): Promise<string | null> {
    const active = this.activeSlot(ref);
    return (
      (await this.projectRelease(this.slotProject(ref, active))) ??
      this.projectRelease(this.slotProject(ref, otherSlot(active)))
    );
  }

  private async projectRelease(project: string): Promise<string | null> {
    const docker = await this.docker.engine();
    const containers = await docker.listContainers({
      all: true,
      filters: { label: serviceLabels(project) },
    });
    for (const c of containers) {
      const files = c.Labels?.["com.docker.compose.project.config_files"] ?? "";
      const match = /\/releases\/([a-z0-9][a-z0-9-]{0,62})\/compose\.yaml/.exec(files);
      if (match) return match[1]!;
    }
    return null;
  }

  /** Container health plus the declared checks: what both the gate and heartbeats use. */
  async probe(
    ref: ServiceRef,
    checks: readonly HealthCheck[],
    signal?: AbortSignal,
    project = this.label(ref),
  ): Promise<Probe> {
    const containers = await this.containerHealth(project);
    if (!containers.ok) {
      const status = containers.starting ? "STARTING" : containers.count === 0 ? "STOPPED" : "UNHEALTHY";
      return { status, detail: containers.detail };
    }
    const sandbox = (argv: readonly string[], s?: AbortSignal) =>
      execInComposeService(this.docker, project, ref.service, argv, s);
    const declared = await runHealthChecks(checks, sandbox, signal);
    return declared.ok
      ? { status: "HEALTHY", detail: containers.detail }
      : { status: "UNHEALTHY", detail: declared.detail };
  }

  async hasRelease(ref: ServiceRef, releaseId: string): Promise<boolean> {
    return stat(this.releaseDir(ref.workflow, ref.service, releaseId)).then(
      () => true,
      () => false,
    );
  }

  /** The release compose commands run against: the running one, else the newest on disk. */
  private async someRelease(ref: ServiceRef, signal?: AbortSignal): Promise<string | null> {
    const running = await this.currentRelease(ref);
    if (running || signal?.aborted) return running;
    const dir = join(this.serviceDir(ref), "releases");
    const names = await readdir(dir).catch(() => [] as string[]);
    const dated = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(dir, n))).mtimeMs })));
    return dated.sort((a, b) => b.t - a.t)[0]?.n ?? null;
  }

  private async command(ref: ServiceRef, args: string[], signal?: AbortSignal): Promise<void> {
    const release = await this.someRelease(ref, signal);
    if (!release) throw new Error(`${this.label(ref)} has no release on this host`);
    await this.compose(ref, release, args, signal);
  }

  stop(ref: ServiceRef, signal?: AbortSignal): Promise<void> {
    return this.command(ref, ["stop"], signal);
  }

  start(ref: ServiceRef, signal?: AbortSignal): Promise<void> {
    return this.command(ref, ["start"], signal);
  }

  restart(ref: ServiceRef, signal?: AbortSignal): Promise<void> {
    return this.command(ref, ["restart"], signal);
  }

  runCommand(ref: ServiceRef, command: OneOffCommand, ctx: StepContext): Promise<StreamedCommand> {
    return runInComposeService(this, this.docker, ref, command, ctx);
  }

  /**
   * Stops and removes the project's containers and networks, and its files; named volumes stay
   * unless `data` is "delete" (`down --volumes`), and with "keep" the data folders stay too.
   */
  async remove(ref: ServiceRef, signal?: AbortSignal, options?: { data?: "keep" | "delete" }): Promise<void> {
    if (this.unitDir) await new TaskTimers(this.unitDir).remove(ref, signal);
    const down = ["down", "--remove-orphans", ...(options?.data === "delete" ? ["--volumes"] : [])];
    // The idle slot first: a switch interrupted half way leaves containers there too.
    await this.downProject(ref, this.slotProject(ref, otherSlot(this.activeSlot(ref))), down, signal);
    if (await this.someRelease(ref, signal)) await this.command(ref, down, signal);
    const dir = this.serviceDir(ref);
    const keep = options?.data === "keep" ? ["data"] : [];
    for (const entry of await readdir(dir).catch(() => [] as string[]))
      if (!keep.includes(entry)) await rm(join(dir, entry), { recursive: true, force: true });
    if (!(await readdir(dir).catch(() => [])).length) await rm(dir, { recursive: true, force: true });
  }

  /** `down` of one Compose project, with the release its containers were created from. */
  async downProject(ref: ServiceRef, project: string, args: string[], signal?: AbortSignal): Promise<void> {
    const release = await this.projectRelease(project);
    if (release) await this.compose(ref, release, args, signal, undefined, undefined, project);
  }

  /**
   * Keeps the newest `keep` release folders plus the protected ones, and the images they use:
   * an image built for pruned releases only is removed, so a rollback never has to rebuild.
   */
  async prune(
    ref: ServiceRef,
    keep: number,
    protect: readonly (string | undefined)[],
    discard: readonly string[] = [],
  ): Promise<void> {
    const releases = join(this.serviceDir(ref), "releases");
    const before = await readdir(releases).catch(() => [] as string[]);
    const built = new Map(before.map((id) => [id, readReleaseMeta(join(releases, id)).images ?? []]));
    const removed = new Set(await pruneReleases(this.serviceDir(ref), keep, [...protect], discard));
    const kept = new Set([...built].filter(([id]) => !removed.has(id)).flatMap(([, tags]) => tags));
    const docker = await this.docker.engine();
    for (const tag of new Set([...removed].flatMap((id) => built.get(id) ?? []))) {
      // An image a container still uses is refused by the Engine: it stays, which is right.
      if (!kept.has(tag))
        await docker
          .getImage(tag)
          .remove()
          .catch(() => undefined);
    }
  }
}
