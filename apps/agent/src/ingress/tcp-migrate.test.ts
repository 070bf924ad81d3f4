import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { migrateQueuedConnections } from "./tcp-migrate";

describe("migrateQueuedConnections", () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), "capstan-sysctl-"));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("sets the switch and keeps it for the next boot", () => {
    const d = dir();
    const file = join(d, "tcp_migrate_req");
    writeFileSync(file, "0\n");
    expect(migrateQueuedConnections(file, d)).toBeNull();
    expect(readFileSync(file, "utf8").trim()).toBe("1");
    expect(readFileSync(join(d, "60-capstan-ingress.conf"), "utf8")).toMatch(
      /^net\.ipv4\.tcp_migrate_req = 1$/m,
    );
  });

  it("says what to run where it cannot, and writes nothing", () => {
    const d = dir();
    expect(migrateQueuedConnections(join(d, "no-such-kernel-knob"), d)).toMatch(
      /sysctl -w net\.ipv4\.tcp_migrate_req=1/,
    );
    expect(existsSync(join(d, "60-capstan-ingress.conf"))).toBe(false);
    // Already set: the knob is only read (a read-only one is fine).
    const set = join(d, "set");
    writeFileSync(set, "1\n");
    chmodSync(set, 0o444);
    expect(migrateQueuedConnections(set)).toBeNull();
  });
});
