// The soak's supervised child processes (simulated agent groups, real agents): each slot's
// running process is one incarnation with its own journal file, so a kill -9 and a restart leave
// two journals and the time of the kill between them. A process that exits by itself is
// restarted too (and said so): the soak's agents never stop on their own.
import type { ChildProcess } from "node:child_process";
import { realNow } from "./journal";

export interface Incarnation {
  /** Which slot (agent group or real agent) it ran in. */
  slot: number;
  journal: string;
  killedAt: number | null;
}

/** SIGKILL of the child's process group when it leads one (spawned detached), else of the child. */
async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    child.kill("SIGKILL"); // no group of its own
  }
  await exited;
}

export class ProcessSet {
  readonly incarnations: Incarnation[] = [];
  private readonly children: (ChildProcess | null)[] = [];
  /** Each slot's running incarnation. */
  private readonly current: Incarnation[] = [];
  private stopped = false;

  constructor(
    private readonly what: string,
    private readonly slots: number,
    /** Starts a slot's process writing to `journal` (a fresh path per incarnation). */
    private readonly launch: (slot: number, journal: string) => ChildProcess,
    private readonly journalPath: (slot: number, incarnation: number) => string,
    private readonly log: (message: string) => void,
  ) {}

  startAll(): void {
    for (let slot = 0; slot < this.slots; slot++) this.start(slot);
  }

  private start(slot: number): void {
    const journal = this.journalPath(slot, this.incarnations.length);
    const child = this.launch(slot, journal);
    const incarnation: Incarnation = { slot, journal, killedAt: null };
    this.incarnations.push(incarnation);
    this.current[slot] = incarnation;
    this.children[slot] = child;
    child.once("exit", (code, signal) => {
      if (this.children[slot] === child) this.children[slot] = null;
      if (!this.stopped && signal !== "SIGKILL") {
        this.log(`${this.what} ${slot} exited by itself (code ${code}, signal ${signal}); restarting it`);
        incarnation.killedAt = realNow();
        this.start(slot);
      }
    });
  }

  /** The slot's running process, if any. */
  child(slot: number): ChildProcess | null {
    return this.children[slot] ?? null;
  }

  /** kill -9, then a new incarnation after `downMs`. */
  async kill(slot: number, downMs: number): Promise<void> {
    const child = this.children[slot];
    if (!child) return;
    await killHard(child);
    this.current[slot]!.killedAt = realNow();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    if (!this.stopped) this.start(slot);
  }

  /** The end of the run: every process stops at once (their open jobs end at this time). */
  async stopAll(): Promise<void> {
    this.stopped = true;
    const at = realNow();
    await Promise.all(
      this.children.map(async (child, slot) => {
        if (!child) return;
        await killHard(child);
        const current = this.current[slot];
        if (current && current.killedAt === null) current.killedAt = at;
      }),
    );
  }
}
