import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Outbox } from "./outbox";

const dir = () => mkdtempSync(join(tmpdir(), "capstan-outbox-"));

describe("outbox", () => {
  it("survives a restart and delivers in append order from the last ack", () => {
    const d = dir();
    const a = new Outbox<{ i: number }>(d, { maxBytes: 1 << 20, segmentBytes: 200 });
    for (let i = 1; i <= 20; i++) a.append({ i });
    a.ack(a.peek(5)[4]!.n);
    const b = new Outbox<{ i: number }>(d, { maxBytes: 1 << 20, segmentBytes: 200 });
    expect(b.peek(100).map((r) => r.data.i)).toEqual(Array.from({ length: 15 }, (_, k) => k + 6));
    const n = b.append({ i: 21 })!;
    expect(n).toBe(21);
    b.ack(n);
    expect(b.size).toBe(0);
    // Fully delivered segments are deleted.
    expect(readdirSync(d).filter((f) => f.endsWith(".jsonl")).length).toBeLessThanOrEqual(1);
  });

  it("drops only droppable records beyond the size cap", () => {
    const o = new Outbox<string>(dir(), { maxBytes: 4096 });
    let dropped = 0;
    for (let i = 0; i < 100; i++) if (o.append("x".repeat(100), { droppable: true }) === null) dropped++;
    expect(dropped).toBeGreaterThan(0);
    expect(o.dropped).toBe(dropped);
    expect(o.bytes).toBeLessThanOrEqual(4096);
    expect(o.append("must keep", { droppable: false })).not.toBeNull();
  });

  it("wakes a waiting consumer on append", async () => {
    const o = new Outbox<number>(dir(), { maxBytes: 1 << 20 });
    const waiting = o.waitForRecords(new AbortController().signal);
    setTimeout(() => o.append(1), 10);
    await waiting;
    expect(o.peek()).toEqual([{ n: 1, data: 1 }]);
  });
});
