// Packing a project folder for `capstan deploy`: what .gitignore (in any folder) and
// .capstanignore leave out, .git/ skipped, links out of the folder and oversize projects refused
// with the biggest files named, and the same folder always packing to the same sha256.
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Io, main } from "../main";
import { packProject } from "./pack-project";

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "capstan-pack-"));
  made.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const capstanYaml =
  "name: shop\ntargets: { hosts: [web-1] }\nservices:\n  web:\n    compose: { file: deploy/compose.yaml }\n";

describe("packProject", () => {
  it("honours .gitignore files and .capstanignore, skips .git/, keeps modes and inner symlinks", async () => {
    const dir = folder({
      "capstan.yaml": capstanYaml,
      "deploy/compose.yaml": "services:\n  web:\n    image: nginx\n",
      "deploy/nginx.conf": "events {}\n",
      "deploy/debug.log": "noise",
      "deploy/.gitignore": "local.env\n",
      "deploy/local.env": "SECRET=1",
      ".gitignore": "*.log\nnode_modules/\n",
      ".capstanignore": "fixtures/\n",
      "node_modules/x/index.js": "x",
      "fixtures/big.sql": "insert",
      ".git/config": "[core]",
      "bin/start": "#!/bin/sh\n",
    });
    chmodSync(join(dir, "bin/start"), 0o755);
    symlinkSync("deploy/nginx.conf", join(dir, "nginx.conf"));
    const packed = await packProject(dir);
    expect(packed.entries).toEqual([
      ".capstanignore",
      ".gitignore",
      "bin/",
      "bin/start",
      "capstan.yaml",
      "deploy/",
      "deploy/.gitignore",
      "deploy/compose.yaml",
      "deploy/nginx.conf",
      "nginx.conf",
    ]);
    expect(packed.ignored.sort()).toEqual([
      "deploy/debug.log",
      "deploy/local.env",
      "fixtures/",
      "node_modules/",
    ]);
    expect((await packProject(dir)).sha256).toBe(packed.sha256);

    // `capstan export FOLDER` writes exactly those files beside capstan.yaml.
    const out = join(dir, "..", `${dir.split("/").pop()}-out`);
    made.push(out);
    const io: Io & { text: string } = {
      text: "",
      out: (t) => {
        io.text += t;
      },
      err: (t) => {
        io.text += t;
      },
    };
    expect(await main(["export", dir, "--out", out], io)).toBe(0);
    expect(io.text, io.text).toMatch(/wrote 7 project files to .*project/);
    expect(readFileSync(join(out, "project/deploy/nginx.conf"), "utf8")).toBe("events {}\n");
    expect(statSync(join(out, "project/bin/start")).mode & 0o777).toBe(0o755);
    expect(() => statSync(join(out, "project/deploy/local.env"))).toThrow();
  });

  it("refuses a symlink out of the folder and a project past the limit, naming the files", async () => {
    const linked = folder({ "capstan.yaml": capstanYaml });
    symlinkSync("/etc/passwd", join(linked, "passwd"));
    await expect(packProject(linked)).rejects.toThrow(
      /passwd is a symlink to \/etc\/passwd, outside the project folder/,
    );

    const big = folder({ "capstan.yaml": capstanYaml, "data/dump.bin": "", "data/other.bin": "" });
    // Sparse files: the size counts, nothing is written to disk.
    truncateSync(join(big, "data/dump.bin"), 300 * 1024 * 1024);
    truncateSync(join(big, "data/other.bin"), 1024 * 1024);
    await expect(packProject(big)).rejects.toThrow(
      /add up to 301\.0 MiB; the limit is 256 MiB \(BUNDLE_MAX_UNPACKED_BYTES\)\. The biggest: data\/dump\.bin \(300\.0 MiB\), data\/other\.bin \(1\.0 MiB\)/,
    );
  });
});
