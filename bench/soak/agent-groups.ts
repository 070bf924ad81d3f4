// The soak's side of the simulated agents: one child process per group of agents, each
// incarnation with its own journal, so a kill -9 and a restart leave two journals and the time
// of the kill between them.
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AgentGroupConfig, GroupMessage } from "./agent-group";
import { realNow } from "./journal";

const ENTRY = fileURLToPath(new URL("./agent-group.ts", import.meta.url));

export interface Incarnation {
  journal: string;
  killedAt: number | null;
}

export class AgentGroups {
  readonly incarnations: Incarnation[] = [];
  private readonly children: (ChildProcess | null)[] = [];
  /** Each group's running incarnation. */
  private readonly current: Incarnation[] = [];
  private stopped = false;

  constructor(
    private readonly dir: string,
    private readonly configs: Omit<AgentGroupConfig, "journal">[],
    private readonly log: (message: string) => void,
  ) {}

  get size(): number {
    return this.configs.length;
  }

  startAll(): void {
    for (let group = 0; group < this.configs.length; group++) this.start(group);
  }

  private start(group: number): void {
    const journal = join(this.dir, `journal-${this.incarnations.length}-g${group}.ndjson`);
    const configPath = join(this.dir, `group-${group}.json`);
    // The agents' private keys: readable by this user only, deleted with the run's folder.
    writeFileSync(configPath, JSON.stringify({ ...this.configs[group], journal }), { mode: 0o600 });
    const child = spawn(process.execPath, ["--import", "tsx", ENTRY, configPath], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const incarnation: Incarnation = { journal, killedAt: null };
    this.incarnations.push(incarnation);
    this.current[group] = incarnation;
    this.children[group] = child;
    child.once("exit", (code, signal) => {
      if (this.children[group] === child) this.children[group] = null;
      if (!this.stopped && signal !== "SIGKILL") {
        this.log(`agent group ${group} exited by itself (code ${code}, signal ${signal}); restarting it`);
        incarnation.killedAt = realNow();
        this.start(group);
      }
    });
  }

  send(group: number, message: GroupMessage): void {
    const child = this.children[group];
    if (child?.connected) child.send(message);
  }

  /** kill -9, then a new incarnation after `downMs`. */
  async kill(group: number, downMs: number): Promise<void> {
    const child = this.children[group];
    if (!child) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    this.current[group]!.killedAt = realNow();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    if (!this.stopped) this.start(group);
  }

  /** The end of the run: every agent stops at once (their open jobs end at this time). */
  async stopAll(): Promise<void> {
    this.stopped = true;
    const at = realNow();
    await Promise.all(
      this.children.map(async (child, group) => {
        if (!child) return;
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGKILL");
        await exited;
        const current = this.current[group];
        if (current && current.killedAt === null) current.killedAt = at;
      }),
    );
  }
}
