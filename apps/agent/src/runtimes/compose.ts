// Compose runtime: one folder per project and release under the state directory (env files
// 0600), `up -d --remove-orphans`, then a health gate that reads container state through the
// Engine API and runs the declared checks, with rollback to the previous release on failure.
import { readFileSync } from "node:fs";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { HealthCheck } from "@capstan/templates";
import { composeProjectName } from "@capstan/templates";
import type { DockerHost } from "../docker";
import { runChecked, tail } from "../exec";
import { type CheckResult, runHealthChecks, waitUntilHealthy } from "../health";
import { assertName } from "../names";
import { writeFileAtomic } from "../state";

export type DeployLog = (level: "info" | "warn" | "error", message: string) => void;

export interface ComposeFiles {
  /** The compose document (YAML). */
  compose: string;
  /** Dotenv text with the service's environment and secrets (written 0600). */
  env: string;
  /** Values also passed in the compose process environment (see packages/templates). */
  processEnv?: Record<string, string>;
}

export interface ComposeDeployInput {
  workflow: string;
  service: string;
  releaseId: string;
  files: ComposeFiles;
  healthChecks: readonly HealthCheck[];
  /** Epoch ms by which the stack must be healthy. */
  deadline: number;
  autoRollback: boolean;
  previousReleaseId?: string;
  log: DeployLog;
  signal?: AbortSignal;
}

export interface DeployOutcome {
  ok: boolean;
  message: string;
  /** The release that is active now (the new one, the previous one after rollback, or none). */
  activeReleaseId?: string;
  rolledBack: boolean;
}

function readProcessEnv(dir: string): Record<string, string> {
  try {
    return JSON.parse(readFileSync(join(dir, "process-env.json"), "utf8")) as Record<string, string>;
  } catch {
    return {};
  }
}

export class ComposeRuntime {
  constructor(
    private readonly root: string,
    private readonly docker: DockerHost,
    /** The environment compose processes inherit (PATH, DOCKER_HOST...), without agent secrets. */
    private readonly baseEnv: NodeJS.ProcessEnv = {},
  ) {}

  project(workflow: string, service: string): string {
    return composeProjectName(assertName(workflow, "workflow name"), assertName(service, "service name"));
  }

  releaseDir(workflow: string, service: string, releaseId: string): string {
    return join(this.root, workflow, service, "releases", assertName(releaseId, "release id"));
  }

  async writeRelease(
    workflow: string,
    service: string,
    releaseId: string,
    files: ComposeFiles,
  ): Promise<string> {
    const dir = this.releaseDir(workflow, service, releaseId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(join(dir, ".env"), files.env, 0o600);
    writeFileAtomic(join(dir, "compose.yaml"), files.compose, 0o600);
    if (files.processEnv && Object.keys(files.processEnv).length) {
      writeFileAtomic(join(dir, "process-env.json"), JSON.stringify(files.processEnv), 0o600);
    }
    return dir;
  }

  private async compose(dir: string, project: string, args: string[], signal?: AbortSignal): Promise<string> {
    const cli = (await this.docker.composeCli(signal)) ?? (await this.docker.composeCli(signal, true));
    if (!cli)
      throw new Error("neither `docker compose` (v2) nor `docker-compose` (v1) is installed on this host");
    const full = [...cli.prefix, "--project-name", project, "--file", join(dir, "compose.yaml")];
    full.push("--env-file", join(dir, ".env"), "--project-directory", dir, ...args);
    const env = { ...this.baseEnv, ...readProcessEnv(dir) };
    const result = await runChecked(cli.program, full, { cwd: dir, env, signal, timeoutMs: 15 * 60_000 });
    return result.stdout + result.stderr;
  }

  async up(workflow: string, service: string, releaseId: string, signal?: AbortSignal): Promise<void> {
    const dir = this.releaseDir(workflow, service, releaseId);
    await this.compose(dir, this.project(workflow, service), ["up", "-d", "--remove-orphans"], signal);
  }

  /** Container state through the Engine API: every container running, every healthcheck healthy. */
  async containerHealth(project: string): Promise<CheckResult & { starting: boolean; count: number }> {
    const docker = await this.docker.engine();
    const containers = await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${project}`] },
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

  /** The release folder the running containers were created from (compose labels them). */
  async runningRelease(workflow: string, service: string): Promise<string | null> {
    const docker = await this.docker.engine();
    const containers = await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${this.project(workflow, service)}`] },
    });
    for (const c of containers) {
      const files = c.Labels?.["com.docker.compose.project.config_files"] ?? "";
      const match = /\/releases\/([a-z0-9][a-z0-9-]{0,62})\/compose\.yaml/.exec(files);
      if (match) return match[1]!;
    }
    return null;
  }

  /** Container health plus the declared checks: what both the gate and heartbeats use. */
  async probe(workflow: string, service: string, checks: readonly HealthCheck[], signal?: AbortSignal) {
    const containers = await this.containerHealth(this.project(workflow, service));
    if (!containers.ok) return containers;
    const declared = await runHealthChecks(checks, signal);
    return declared.ok ? containers : { ...containers, ok: false, detail: declared.detail };
  }

  async deploy(input: ComposeDeployInput): Promise<DeployOutcome> {
    const { workflow, service, releaseId, log, signal } = input;
    const project = this.project(workflow, service);
    await this.writeRelease(workflow, service, releaseId, input.files);
    log("info", `compose: starting ${project} release ${releaseId}`);
    let failure: string;
    try {
      await this.up(workflow, service, releaseId, signal);
      const result = await waitUntilHealthy(
        () => this.probe(workflow, service, input.healthChecks, signal),
        input.deadline,
        signal,
        1000,
        (r) => log("info", `compose: waiting for health: ${r.detail}`),
      );
      if (result.ok) {
        log("info", `compose: ${project} is healthy (${result.detail})`);
        return { ok: true, message: result.detail, activeReleaseId: releaseId, rolledBack: false };
      }
      failure = result.detail;
    } catch (error) {
      failure = tail((error as Error).message);
    }
    log("error", `compose: ${project} release ${releaseId} failed: ${failure}`);
    const previous = input.previousReleaseId;
    if (!input.autoRollback || !previous || previous === releaseId) {
      return { ok: false, message: failure, rolledBack: false };
    }
    log("warn", `compose: rolling back ${project} to release ${previous}`);
    try {
      await this.up(workflow, service, previous, signal);
      const back = await waitUntilHealthy(
        () => this.probe(workflow, service, input.healthChecks, signal),
        Date.now() + 120_000,
        signal,
      );
      log(back.ok ? "info" : "error", `compose: previous release ${previous}: ${back.detail}`);
      return {
        ok: false,
        message: `${failure}; rolled back to ${previous}${back.ok ? "" : ` (still unhealthy: ${back.detail})`}`,
        activeReleaseId: previous,
        rolledBack: true,
      };
    } catch (error) {
      log("error", `compose: rollback failed: ${tail((error as Error).message)}`);
      return { ok: false, message: `${failure}; rollback failed`, rolledBack: false };
    }
  }

  /** Stops and removes the project's containers and networks, and its files. */
  async remove(workflow: string, service: string, releaseId: string, signal?: AbortSignal): Promise<void> {
    const dir = this.releaseDir(workflow, service, releaseId);
    await this.compose(dir, this.project(workflow, service), ["down", "--remove-orphans"], signal);
    await rm(join(this.root, workflow, service), { recursive: true, force: true });
  }

  /** Keeps the newest `keep` release folders plus the protected ones. */
  async prune(
    workflow: string,
    service: string,
    keep: number,
    protect: (string | undefined)[],
  ): Promise<void> {
    const dir = join(this.root, workflow, service, "releases");
    const names = await readdir(dir).catch(() => [] as string[]);
    const dated = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(dir, n))).mtimeMs })));
    dated.sort((a, b) => b.t - a.t);
    const keepSet = new Set([...dated.slice(0, keep).map((d) => d.n), ...protect.filter(Boolean)]);
    for (const { n } of dated) if (!keepSet.has(n)) await rm(join(dir, n), { recursive: true, force: true });
  }
}
