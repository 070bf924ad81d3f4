// The Docker Engine as the agent sees it: a lazily created dockerode client, the Compose CLI
// (v2 plugin when present, else v1), and the one-time `systemctl start docker` when the Engine
// does not answer and we run under systemd.
import { existsSync } from "node:fs";
import type Dockerode from "dockerode";
import { run } from "./exec";

export interface ComposeCli {
  program: string;
  /** Arguments that come before the Compose arguments (["compose"] for v2). */
  prefix: string[];
  version: string;
}

export interface DockerStatus {
  available: boolean;
  detail?: string;
}

export class DockerHost {
  private client: Dockerode | null = null;
  private compose: ComposeCli | null | undefined;
  private composeCheckedAt = 0;
  private detecting: Promise<ComposeCli | null> | undefined;
  private startAttempted = false;
  /** What happened when we tried to start Docker, for the heartbeat. */
  startOutcome: string | undefined;

  constructor(
    readonly socketPath: string,
    private readonly underSystemd: boolean,
  ) {}

  async engine(): Promise<Dockerode> {
    if (!this.client) {
      // Loaded on first use: hosts without Docker never pay for dockerode's memory.
      const { default: Docker } = await import("dockerode");
      this.client = new Docker({ socketPath: this.socketPath });
    }
    return this.client;
  }

  /** Whether Docker is installed here (the Engine may still be down). */
  installed(): boolean {
    return [this.socketPath, "/usr/bin/docker", "/usr/local/bin/docker", "/usr/bin/dockerd"].some((p) =>
      existsSync(p),
    );
  }

  async ping(signal?: AbortSignal): Promise<boolean> {
    try {
      const docker = await this.engine();
      await docker.ping({ abortSignal: signal } as never);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Reports whether the Engine answers. When it does not and systemd supervises us, runs
   * `systemctl start docker` once per agent process and records the outcome.
   */
  async status(signal?: AbortSignal): Promise<DockerStatus> {
    if (await this.ping(signal)) {
      return { available: true, detail: this.startOutcome };
    }
    if (this.underSystemd && !this.startAttempted) {
      this.startAttempted = true;
      try {
        const result = await run("systemctl", ["start", "docker"], { signal, timeoutMs: 90_000 });
        // A started unit may need a moment before its socket answers.
        let up = false;
        for (let i = 0; result.code === 0 && !up && i < 30 && !signal?.aborted; i++) {
          up = await this.ping(signal);
          if (!up) await new Promise((r) => setTimeout(r, 1000));
        }
        this.startOutcome = up
          ? "Docker was down; started it with systemctl start docker"
          : `Docker was down; systemctl start docker failed (exit ${result.code}): ${result.stderr.trim().slice(0, 300)}`;
        if (up) return { available: true, detail: this.startOutcome };
      } catch (error) {
        this.startOutcome = `Docker was down; systemctl is not usable: ${(error as Error).message}`;
      }
    }
    return { available: false, detail: this.startOutcome ?? "the Docker Engine does not answer" };
  }

  async version(): Promise<string | null> {
    try {
      return (await (await this.engine()).version()).Version ?? null;
    } catch {
      return null;
    }
  }

  /**
   * Detects the Compose CLI: `docker compose` (v2) first, `docker-compose` (v1) second. A found
   * CLI is remembered; "none found" is re-checked after a minute (it may be installed meanwhile,
   * or a slow start under load may have timed out).
   */
  async composeCli(signal?: AbortSignal, recheck = false): Promise<ComposeCli | null> {
    if (this.compose) return this.compose;
    if (!recheck && this.compose === null && Date.now() - this.composeCheckedAt < 60_000) return null;
    // Heartbeats and deploys ask concurrently: share one detection.
    this.detecting ??= this.detectCompose(signal).finally(() => {
      this.detecting = undefined;
    });
    return this.detecting;
  }

  private async detectCompose(signal?: AbortSignal): Promise<ComposeCli | null> {
    const candidates: [string, string[]][] = [
      ["docker", ["compose"]],
      ["docker-compose", []],
    ];
    let found: ComposeCli | null = null;
    for (const [program, prefix] of candidates) {
      try {
        const result = await run(program, [...prefix, "version", "--short"], { signal, timeoutMs: 60_000 });
        if (result.code === 0 && /\d+\.\d+/.test(result.stdout)) {
          found = { program, prefix, version: result.stdout.trim() };
          break;
        }
      } catch {
        // not installed: try the next one
      }
    }
    if (signal?.aborted) return found;
    this.compose = found;
    this.composeCheckedAt = Date.now();
    return this.compose;
  }
}
