import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import * as tar from "tar";
import { describe, expect, it } from "vitest";
import { ChecksumError, pruneReleases, saveVerified, switchCurrent, unpackRelease } from "./artifacts";

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const tmp = () => mkdtempSync(join(tmpdir(), "capstan-artifacts-"));

describe("artifacts", () => {
  it("refuses a wrong sha256 and leaves no file", async () => {
    const dir = tmp();
    const dest = join(dir, "download");
    await expect(
      saveVerified(Readable.from([Buffer.from("hello")]), sha("other"), dest),
    ).rejects.toBeInstanceOf(ChecksumError);
    expect(existsSync(dest)).toBe(false);
    await saveVerified(Readable.from([Buffer.from("hello")]), sha("hello"), dest);
    expect(readFileSync(dest, "utf8")).toBe("hello");
  });

  it("never echoes the fetched body's hash in the refusal (the deploy log is readable by viewers)", async () => {
    const body = "metadata-secret-token";
    const error = await saveVerified(
      Readable.from([Buffer.from(body)]),
      sha("other"),
      join(tmp(), "d"),
    ).catch((e: Error) => e);
    expect(error).toBeInstanceOf(ChecksumError);
    expect((error as Error).message).not.toContain(sha(body));
    expect((error as Error).message).not.toContain(body);
  });

  it("refuses an archive that unpacks past the entry or size limit, and unpacks nothing", async () => {
    const dir = tmp();
    const src = join(dir, "src");
    mkdirSync(src);
    for (let i = 0; i < 6; i++) writeFileSync(join(src, `f${i}`), "x".repeat(1000));
    const file = join(dir, "many.tar.gz");
    await tar.c({ gzip: true, file, cwd: src }, readdirSync(src));
    const releases = join(dir, "releases");
    await expect(
      unpackRelease(file, "tar.gz", releases, "r1", "app", { entries: 5, bytes: 1e9 }),
    ).rejects.toThrow(/6 entries, more than the 5 allowed/);
    await expect(
      unpackRelease(file, "tar.gz", releases, "r1", "app", { entries: 100, bytes: 5000 }),
    ).rejects.toThrow(/unpacks to 6000 bytes, more than the 5000 allowed/);
    expect(readdirSync(releases)).toEqual([]);
    await unpackRelease(file, "tar.gz", releases, "r1", "app", { entries: 6, bytes: 6000 });
    expect(readdirSync(join(releases, "r1")).sort()).toEqual(["f0", "f1", "f2", "f3", "f4", "f5"]);
  });

  it("unpacks a tarball into releases/<id> and never outside it", async () => {
    const dir = tmp();
    const src = join(dir, "src");
    mkdirSync(join(src, "bin"), { recursive: true });
    writeFileSync(join(src, "bin", "app"), "#!/bin/sh\n", { mode: 0o4755 });
    const file = join(dir, "a.tar.gz");
    await tar.c({ gzip: true, file, cwd: src }, ["bin"]);
    // A hostile archive whose entry climbs out with `..` (GNU tar -P keeps the name as is).
    writeFileSync(join(dir, "escaped"), "original");
    const evil = join(dir, "evil.tar");
    execFileSync("tar", ["-cPf", evil, "../escaped"], { cwd: src });
    const service = join(dir, "svc");
    const releases = join(service, "releases");
    await unpackRelease(file, "tar.gz", releases, "r1-aaaa", "app");
    expect(readFileSync(join(releases, "r1-aaaa", "bin", "app"), "utf8")).toBe("#!/bin/sh\n");
    // setuid bits from the archive are stripped
    const { statSync } = await import("node:fs");
    expect(statSync(join(releases, "r1-aaaa", "bin", "app")).mode & 0o7000).toBe(0);
    await expect(unpackRelease(file, "tar.gz", releases, "../x", "app")).rejects.toThrow(/release id/);
    await unpackRelease(evil, "tar", releases, "r2-bbbb", "app").catch(() => undefined);
    expect(readFileSync(join(dir, "escaped"), "utf8")).toBe("original");
    expect(existsSync(join(releases, "escaped"))).toBe(false);
    expect(existsSync(join(service, "escaped"))).toBe(false);
  });

  it("switches current atomically and prunes old releases but keeps protected ones", async () => {
    const service = tmp();
    for (const id of ["r1-a", "r2-b", "r3-c", "r4-d"]) {
      mkdirSync(join(service, "releases", id), { recursive: true });
      await new Promise((r) => setTimeout(r, 15));
    }
    await switchCurrent(service, "r4-d");
    expect(readlinkSync(join(service, "current"))).toBe("releases/r4-d");
    await switchCurrent(service, "r3-c");
    expect(readlinkSync(join(service, "current"))).toBe("releases/r3-c");
    const removed = await pruneReleases(service, 2, ["r1-a"]);
    expect(removed.sort()).toEqual(["r2-b"]);
    expect(readdirSync(join(service, "releases")).sort()).toEqual(["r1-a", "r3-c", "r4-d"]);
  });

  it("discards a failed release however new, and never a protected (running) one", async () => {
    const service = tmp();
    for (const id of ["r1-a", "r2-b", "r3-c"]) {
      mkdirSync(join(service, "releases", id), { recursive: true });
      await new Promise((r) => setTimeout(r, 15));
    }
    expect(await pruneReleases(service, Number.MAX_SAFE_INTEGER, ["r2-b"], ["r3-c"])).toEqual(["r3-c"]);
    expect(readdirSync(join(service, "releases")).sort()).toEqual(["r1-a", "r2-b"]);
    expect(await pruneReleases(service, Number.MAX_SAFE_INTEGER, ["r2-b"], ["r2-b"])).toEqual([]);
    expect(readdirSync(join(service, "releases")).sort()).toEqual(["r1-a", "r2-b"]);
  });
});
