// The browser packer's archive is read back with the control plane's own bundle reader (node-tar
// behind inspectBundle), so what passes here is what POST /api/bundles accepts.
import { inspectBundle } from "@capstan/core/bundles/inspect-bundle";
import { describe, expect, it } from "vitest";
import { type FolderFile, PackError, packFolder, stripFolderName } from "./pack-folder";

function folder(files: Record<string, string | Uint8Array>): FolderFile[] {
  return Object.entries(files).map(([path, content]) => {
    const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
    return { path, size: bytes.byteLength, bytes: async () => bytes };
  });
}

const YAML = "name: shop\n";

async function unpack(files: Record<string, string | Uint8Array>) {
  const packed = await packFolder(folder(files));
  const read = inspectBundle(Buffer.from(packed.data), () => true);
  return { packed, read, paths: read.entries.map((e) => e.path) };
}

describe("packFolder", () => {
  it("packs files and their folders with contents, in path order", async () => {
    const long = `${"deep/".repeat(30)}file.txt`;
    const { packed, read, paths } = await unpack({
      "compose.yaml": "services: {}\n",
      "capstan.yaml": YAML,
      "conf/nginx.conf": "worker_processes 1;\n",
      [long]: "x",
    });
    expect(paths.slice(0, 3)).toEqual(["capstan.yaml", "compose.yaml", "conf/"]);
    expect(paths).toContain(long);
    expect(paths).toContain("deep/deep/");
    expect(read.files.get("conf/nginx.conf")?.toString()).toBe("worker_processes 1;\n");
    expect(packed.source).toBe(YAML);
    expect(packed.files).toBe(4);
    expect(packed.entries).toBe(read.entries.length);
  });

  it("skips .git and what .gitignore files and .capstanignore exclude", async () => {
    const { packed, paths } = await unpack({
      "capstan.yaml": YAML,
      ".capstanignore": "secrets.env\n",
      ".gitignore": "node_modules/\n*.log\n",
      "secrets.env": "TOKEN=1",
      "app.log": "x",
      "node_modules/left-pad/index.js": "x",
      ".git/config": "[core]",
      "sub/.git/HEAD": "ref",
      "sub/.gitignore": "build/\n",
      "sub/build/out.js": "x",
      "sub/deep.log": "x",
      "sub/main.js": "x",
      "other/build/out.js": "not ignored: the rule is sub/'s",
    });
    expect(paths).toEqual([
      ".capstanignore",
      ".gitignore",
      "capstan.yaml",
      "other/",
      "other/build/",
      "other/build/out.js",
      "sub/",
      "sub/.gitignore",
      "sub/main.js",
    ]);
    expect(packed.ignored).toEqual([
      ".git/",
      "app.log",
      "node_modules/",
      "secrets.env",
      "sub/.git/",
      "sub/build/",
      "sub/deep.log",
    ]);
  });

  it("gives folders 0755, scripts (#!) 0755 and other files 0644", async () => {
    const { read } = await unpack({ "capstan.yaml": YAML, "bin/migrate.sh": "#!/bin/sh\nexit 0\n" });
    const modes = Object.fromEntries(read.entries.map((e) => [e.path, e.mode & 0o7777]));
    expect(modes).toEqual({ "bin/": 0o755, "bin/migrate.sh": 0o755, "capstan.yaml": 0o644 });
  });

  it("requires capstan.yaml at the root, even when an ignore rule drops it", async () => {
    await expect(packFolder(folder({ "sub/capstan.yaml": YAML }))).rejects.toThrow(
      /no capstan\.yaml at its root/,
    );
    await expect(packFolder(folder({ "capstan.yaml": YAML, ".capstanignore": "*.yaml\n" }))).rejects.toThrow(
      PackError,
    );
  });

  it("refuses past the limits, naming the biggest files", async () => {
    const big = new Uint8Array(4096).map(() => Math.floor(Math.random() * 256));
    const files = folder({ "capstan.yaml": YAML, "data/blob.bin": big, "small.txt": "x" });
    await expect(packFolder(files, { limits: { maxUnpackedBytes: 2048 } })).rejects.toThrow(
      /add up to 4\.0 KB; the limit is 2\.0 KB\. The biggest: data\/blob\.bin \(4\.0 KB\), capstan\.yaml/,
    );
    await expect(packFolder(files, { limits: { maxBytes: 1024 } })).rejects.toThrow(
      /compressed\. The biggest files: data\/blob\.bin/,
    );
    await expect(packFolder(files, { limits: { maxEntries: 3 } })).rejects.toThrow(
      /4 files and folders.*limit is 3/,
    );
  });

  it("strips the chosen folder's own name from webkitRelativePath", () => {
    expect(stripFolderName("my-project/compose.yaml")).toBe("compose.yaml");
    expect(stripFolderName("my-project/conf/a.conf")).toBe("conf/a.conf");
  });
});
