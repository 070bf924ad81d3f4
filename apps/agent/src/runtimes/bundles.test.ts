// Project bundles on the host: a good bundle unpacks with sane modes; hostile ones (entries that
// climb out, absolute paths, links out, hard links, devices, setuid bits, too many entries) are
// refused before anything lands outside the target, and a download that does not match the
// job's sha256 never reaches the cache.
import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers";
import { type RawEntry, rawBundle } from "../../test/raw-bundle";
import { ChecksumError } from "./artifacts";
import { BundleCache, listEntries, unpackBundle, writeInside } from "./bundles";

function write(dir: string, name: string, data: Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, data);
  return file;
}

const good = rawBundle([
  { path: "app/", type: "Directory" },
  { path: "app/compose.yaml", body: "services: {}\n" },
  { path: "app/run.sh", body: "#!/bin/sh\n", mode: 0o755 },
  { path: "app/conf", type: "SymbolicLink", linkpath: "compose.yaml" },
  { path: "README", body: "hello" },
]);

describe("unpackBundle", () => {
  it("unpacks files, folders and inside links; files readable, scripts executable", async () => {
    const dir = tempDir("bundle-ok");
    const target = join(dir, "release", "project");
    mkdirSync(join(dir, "release"));
    await unpackBundle(write(dir, "b.tar.gz", good), target);
    expect(readFileSync(join(target, "app/conf"), "utf8")).toBe("services: {}\n");
    expect(lstatSync(join(target, "app/run.sh")).mode & 0o7777).toBe(0o755);
    expect(lstatSync(join(target, "README")).mode & 0o7777).toBe(0o644);
    expect([...(await listEntries(target))].sort()).toEqual([
      "README",
      "app/",
      "app/compose.yaml",
      "app/conf",
      "app/run.sh",
    ]);
  });

  const hostile: [string, RawEntry[], RegExp][] = [
    ["a `..` entry", [{ path: "../escaped", body: "x" }], /`\.\.\/escaped` has a `\.\.`/],
    ["a nested `..` entry", [{ path: "a/../../escaped", body: "x" }], /has a `\.\.`/],
    ["an absolute path", [{ path: "/tmp/escaped", body: "x" }], /is an absolute path/],
    [
      "a symlink to /etc",
      [{ path: "etc", type: "SymbolicLink", linkpath: "/etc" }],
      /absolute path \(\/etc\)/,
    ],
    [
      "a relative link out",
      [{ path: "up", type: "SymbolicLink", linkpath: "../../.." }],
      /symlink leading out of the project/,
    ],
    [
      "a write through a link",
      [
        { path: "d", type: "SymbolicLink", linkpath: "." },
        { path: "d/x", body: "x" },
      ],
      /lies under a symlink/,
    ],
    ["a hard link", [{ path: "h", type: "Link", linkpath: "/etc/passwd" }], /is a Link/],
    ["a device", [{ path: "dev", type: "CharacterDevice" }], /is a CharacterDevice/],
    ["a setuid file", [{ path: "su", body: "x", mode: 0o4755 }], /setuid, setgid or sticky/],
  ];
  for (const [what, entries, message] of hostile) {
    it(`refuses ${what} and writes nothing`, async () => {
      const dir = tempDir("bundle-bad");
      mkdirSync(join(dir, "release"));
      const target = join(dir, "release", "project");
      const file = write(dir, "b.tar.gz", rawBundle([{ path: "ok", body: "fine" }, ...entries]));
      await expect(unpackBundle(file, target)).rejects.toThrow(message);
      expect(existsSync(target)).toBe(false);
      expect(readdirSync(join(dir, "release"))).toEqual([]);
      expect(readdirSync(dir).sort()).toEqual(["b.tar.gz", "release"]);
    });
  }

  it("refuses a chain of inside links that climbs out once resolved", async () => {
    const dir = tempDir("bundle-chain");
    mkdirSync(join(dir, "release"));
    const target = join(dir, "release", "project");
    const file = write(
      dir,
      "b.tar.gz",
      rawBundle([
        { path: "s", type: "SymbolicLink", linkpath: "." },
        { path: "x", type: "SymbolicLink", linkpath: "s/.." },
      ]),
    );
    await expect(unpackBundle(file, target)).rejects.toThrow(/symlink `x` leads out of the project/);
    expect(readdirSync(join(dir, "release"))).toEqual([]);
  });

  it("refuses a bundle past the entry and size limits, naming them", async () => {
    const dir = tempDir("bundle-limits");
    const file = write(dir, "b.tar.gz", good);
    await expect(unpackBundle(file, join(dir, "p"), { entries: 3, bytes: 1 << 20 })).rejects.toThrow(
      /5 entries, more than the 3 allowed \(BUNDLE_MAX_ENTRIES\)/,
    );
    await expect(unpackBundle(file, join(dir, "p"), { entries: 100, bytes: 10 })).rejects.toThrow(
      /more than the 10 allowed \(BUNDLE_MAX_UNPACKED_BYTES\)/,
    );
    expect(existsSync(join(dir, "p"))).toBe(false);
  });
});

describe("writeInside", () => {
  it("writes env files inside the project and refuses paths that leave it", async () => {
    const root = tempDir("bundle-write");
    const outside = tempDir("bundle-outside");
    symlinkSync(outside, join(root, "out"));
    await writeInside(root, "conf/app.env", "A=1\n", 0o600);
    expect(readFileSync(join(root, "conf/app.env"), "utf8")).toBe("A=1\n");
    expect(lstatSync(join(root, "conf/app.env")).mode & 0o777).toBe(0o600);
    await expect(writeInside(root, "../x.env", "A=1\n", 0o600)).rejects.toThrow(/not a plain relative path/);
    await expect(writeInside(root, "out/x.env", "A=1\n", 0o600)).rejects.toThrow(/link out of the project/);
    expect(readdirSync(outside)).toEqual([]);
  });
});

describe("BundleCache", () => {
  const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");
  /** The control plane's answer to downloadBundle: the bytes and the sha256 header it claims. */
  const serving = (data: Buffer, claimed = sha(data)) => {
    const calls: string[] = [];
    return {
      calls,
      client: {
        downloadBundle: async (sha256: string) => {
          calls.push(sha256);
          return { body: new Blob([new Uint8Array(data)]).stream(), sha256: claimed, size: data.length };
        },
      },
    };
  };

  it("downloads once, verified, then serves the cache", async () => {
    const dir = tempDir("bundle-cache");
    const { client, calls } = serving(good);
    const cache = new BundleCache(dir, client as never);
    const ref = { sha256: sha(good), size: good.length };
    const first = await cache.get(ref);
    expect(first.cached).toBe(false);
    expect(readFileSync(first.file).equals(good)).toBe(true);
    expect((await cache.get(ref)).cached).toBe(true);
    expect(calls).toEqual([ref.sha256]);
  });

  it("refuses bytes that differ from the job's sha256 and caches nothing", async () => {
    const dir = tempDir("bundle-cache-bad");
    const other = rawBundle([{ path: "evil", body: "x" }]);
    // The control plane claims the right hash but serves other bytes.
    const { client } = serving(other, sha(good));
    const cache = new BundleCache(dir, client as never);
    await expect(cache.get({ sha256: sha(good), size: good.length })).rejects.toThrow(ChecksumError);
    expect(readdirSync(dir)).toEqual([]);
  });
});
