// A bounded, append-only on-disk queue for job events and results. Every append is fsynced before
// it is acknowledged to the caller, so a crash or a control-plane outage loses nothing that the
// runner already reported; records are delivered strictly in append order.
//
// Layout: <dir>/<segment>.jsonl files (segment = zero-padded first record number) plus
// <dir>/acked, the number of the last record the control plane accepted.
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";

export interface OutboxRecord<T = unknown> {
  n: number;
  data: T;
}

export interface OutboxOptions {
  maxBytes: number;
  segmentBytes?: number;
}

const SEGMENT = /^(\d{12})\.jsonl$/;

export class Outbox<T = unknown> {
  private pending: { n: number; bytes: number; data: T; segment: string }[] = [];
  private nextN = 1;
  private acked = 0;
  private currentSegment: string | null = null;
  private currentSegmentBytes = 0;
  private pendingBytes = 0;
  private waiters: (() => void)[] = [];
  private readonly segmentBytes: number;
  /** Droppable records refused because the outbox was full (reported by the caller). */
  dropped = 0;

  constructor(
    private readonly dir: string,
    private readonly options: OutboxOptions,
  ) {
    this.segmentBytes = options.segmentBytes ?? 1024 * 1024;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.load();
  }

  private load(): void {
    try {
      this.acked = Number.parseInt(readFileSync(join(this.dir, "acked"), "utf8").trim(), 10) || 0;
    } catch {
      this.acked = 0;
    }
    this.nextN = this.acked + 1;
    const segments = readdirSync(this.dir)
      .filter((f) => SEGMENT.test(f))
      .sort();
    for (const segment of segments) {
      const text = readFileSync(join(this.dir, segment), "utf8");
      const lines = text.split("\n");
      for (const line of lines) {
        if (!line) continue;
        let record: OutboxRecord<T>;
        try {
          record = JSON.parse(line) as OutboxRecord<T>;
        } catch {
          // A torn final line from a crash mid-write was never acknowledged to anyone: skip it.
          continue;
        }
        if (record.n >= this.nextN) this.nextN = record.n + 1;
        if (record.n <= this.acked) continue;
        this.pending.push({ n: record.n, bytes: Buffer.byteLength(line) + 1, data: record.data, segment });
        this.pendingBytes += Buffer.byteLength(line) + 1;
      }
    }
    this.collect();
  }

  get size(): number {
    return this.pending.length;
  }

  get bytes(): number {
    return this.pendingBytes;
  }

  /**
   * Appends and fsyncs one record. When the outbox is over its size cap, droppable records
   * (plain log lines) are refused and counted; the rest (step changes, results) are always kept.
   */
  append(data: T, options: { droppable?: boolean } = {}): number | null {
    const line = `${JSON.stringify({ n: this.nextN, data })}\n`;
    const bytes = Buffer.byteLength(line);
    if (options.droppable && this.bytes + bytes > this.options.maxBytes) {
      this.dropped++;
      return null;
    }
    if (!this.currentSegment || this.currentSegmentBytes + bytes > this.segmentBytes) {
      this.currentSegment = `${String(this.nextN).padStart(12, "0")}.jsonl`;
      this.currentSegmentBytes = 0;
    }
    const fd = openSync(join(this.dir, this.currentSegment), "a", 0o600);
    const before = fstatSync(fd).size;
    try {
      if (writeSync(fd, line) !== bytes)
        throw Object.assign(new Error("short write to the outbox"), { code: "ENOSPC" });
      fsyncSync(fd);
    } catch (error) {
      // A torn line (a full disk) would glue onto the next record and spoil both: cut it off.
      try {
        ftruncateSync(fd, before);
      } catch {
        // The load skips a torn last line; only a later append could spoil it, and it fails too.
      }
      throw error;
    } finally {
      closeSync(fd);
    }
    this.currentSegmentBytes += bytes;
    const n = this.nextN++;
    this.pending.push({ n, bytes, data, segment: this.currentSegment });
    this.pendingBytes += bytes;
    for (const wake of this.waiters.splice(0)) wake();
    return n;
  }

  /** The oldest undelivered records, in order. */
  peek(max = 100): OutboxRecord<T>[] {
    return this.pending.slice(0, max).map(({ n, data }) => ({ n, data }));
  }

  /** Marks every record up to and including n as delivered. */
  ack(n: number): void {
    if (n <= this.acked) return;
    this.acked = n;
    const tmp = join(this.dir, "acked.tmp");
    const fd = openSync(tmp, "w", 0o600);
    try {
      writeSync(fd, String(n));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, "acked"));
    while (this.pending.length && this.pending[0]!.n <= n) this.pendingBytes -= this.pending.shift()!.bytes;
    this.collect();
  }

  /** Resolves when a record is appended (or at once if some are pending) or the signal aborts. */
  waitForRecords(signal: AbortSignal): Promise<void> {
    if (this.pending.length || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.waiters.push(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Deletes segments whose records are all delivered. */
  private collect(): void {
    const live = new Set(this.pending.map((r) => r.segment));
    for (const f of readdirSync(this.dir)) {
      if (!SEGMENT.test(f) || live.has(f) || f === this.currentSegment) continue;
      rmSync(join(this.dir, f), { force: true });
    }
    if (this.currentSegment && !live.has(this.currentSegment) && this.pending.length === 0) {
      try {
        if (statSync(join(this.dir, this.currentSegment)).size > this.segmentBytes / 2) {
          rmSync(join(this.dir, this.currentSegment), { force: true });
          this.currentSegment = null;
        }
      } catch {
        this.currentSegment = null;
      }
    }
  }
}
