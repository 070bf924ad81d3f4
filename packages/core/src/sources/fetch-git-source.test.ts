// fetchGitSource and listGitBranches against a real Git server on loopback (git http-backend),
// with real repositories, tokens and hostile URLs.
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { executable, type GitHttpServer, requireComponents, startGitHttpServer } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { fetchGitSource, listGitBranches } from "./fetch-git-source";

const ok = requireComponents(
  "git sources",
  executable("/usr/bin/git"),
  executable("/usr/lib/git-core/git-http-backend"),
);

/** The tar's entries: name -> {type, mode, text or link target}. */
function entriesOf(bundle: Buffer) {
  const tar = gunzipSync(bundle);
  const out = new Map<string, { type: string; mode: number; body: string }>();
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString("utf8")
        .replace(/\0.*$/s, "");
    const prefix = field(345, 155);
    const name = (prefix ? `${prefix}/` : "") + field(0, 100);
    const size = Number.parseInt(field(124, 12).trim() || "0", 8);
    const type = { "0": "file", "5": "directory", "2": "symlink" }[field(156, 1)] ?? field(156, 1);
    const mode = Number.parseInt(field(100, 8).trim(), 8);
    const body =
      type === "symlink" ? field(157, 100) : tar.subarray(offset + 512, offset + 512 + size).toString();
    out.set(name, { type, mode, body });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

describe.skipIf(!ok)("fetchGitSource", () => {
  let server: GitHttpServer;
  let repoUrl: string;
  const commits: Record<string, string> = {};

  beforeAll(async () => {
    server = await startGitHttpServer();
    const repo = server.createRepository("shop");
    commits.first = repo.commit(
      {
        "capstan.yaml": "name: shop\n",
        "app/compose.yaml": "services: {}\n",
        "app/run.sh": { content: "#!/bin/sh\necho hi\n", mode: 0o755 },
        "app/current": { content: "run.sh", symlink: true },
      },
      { message: "first commit\n\nwith a body", date: "2026-01-02T03:04:05Z" },
    );
    commits.second = repo.commit(
      { "app/compose.yaml": "services: {a: {image: x}}\n" },
      { message: "second" },
    );
    commits.dev = repo.commit({ "dev.txt": "dev\n" }, { branch: "dev", message: "on dev" });
    repo.tag("v1.0.0", commits.first!, "release 1.0.0");
    repo.tag("light", commits.second!);
    repoUrl = repo.url;
  });
  afterAll(() => server?.close());

  const base = () => ({ url: repoUrl, allowPrivate: true });

  it("resolves a branch to its newest commit and records it", async () => {
    const { data, commit } = await fetchGitSource({ ...base(), ref: "main" });
    expect(commit).toMatchObject({
      sha: commits.second,
      ref: "main",
      message: "second",
      author: "Test Author <author@example.test>",
    });
    const entries = entriesOf(data);
    expect(entries.get("app/compose.yaml")?.body).toBe("services: {a: {image: x}}\n");
    expect(entries.has("dev.txt")).toBe(false);
  });

  it("resolves an annotated tag to the tagged commit, a light tag and another branch", async () => {
    const annotated = await fetchGitSource({ ...base(), ref: "v1.0.0" });
    expect(annotated.commit).toMatchObject({
      sha: commits.first,
      ref: "v1.0.0",
      date: "2026-01-02T03:04:05.000Z",
    });
    expect(annotated.commit.message).toBe("first commit\n\nwith a body");
    expect((await fetchGitSource({ ...base(), ref: "light" })).commit.sha).toBe(commits.second);
    const dev = await fetchGitSource({ ...base(), ref: "dev" });
    expect(dev.commit.sha).toBe(commits.dev);
    expect(entriesOf(dev.data).get("dev.txt")?.body).toBe("dev\n");
  });

  it("fetches a pinned commit that no branch points at any more, reproducibly", async () => {
    const a = await fetchGitSource({ ...base(), ref: commits.first! });
    expect(a.commit).toMatchObject({ sha: commits.first, ref: commits.first });
    expect(entriesOf(a.data).get("app/compose.yaml")?.body).toBe("services: {}\n");
    const b = await fetchGitSource({ ...base(), ref: commits.first! });
    // Same commit, same bytes: the bundle's sha256 (and the images built from it) are found again.
    expect(b.data.equals(a.data)).toBe(true);
  });

  it("makes a subfolder the bundle's root, with modes and in-bundle links kept", async () => {
    const { data } = await fetchGitSource({ ...base(), ref: "v1.0.0", path: "app" });
    const entries = entriesOf(data);
    expect([...entries.keys()].sort()).toEqual(["compose.yaml", "current", "run.sh"]);
    expect(entries.get("run.sh")).toMatchObject({ type: "file", mode: 0o755 });
    expect(entries.get("compose.yaml")).toMatchObject({ type: "file", mode: 0o644 });
    expect(entries.get("current")).toMatchObject({ type: "symlink", body: "run.sh" });
  });

  it("names the missing branch and the branches there are", async () => {
    await expect(fetchGitSource({ ...base(), ref: "nope" })).rejects.toThrow(
      `Branch or tag \`nope\` not found in ${repoUrl}; branches: dev, main.`,
    );
    await expect(fetchGitSource({ ...base(), ref: "main", path: "missing" })).rejects.toThrow(
      /Folder `missing` not found in commit [0-9a-f]{12} \(main\)/,
    );
    await expect(fetchGitSource({ ...base(), ref: "main", path: "../etc" })).rejects.toThrow(
      /source\.git\.path/,
    );
    await expect(fetchGitSource({ ...base(), ref: "a..b" })).rejects.toThrow(/source\.git\.ref/);
    await expect(fetchGitSource({ ...base(), ref: "1".repeat(40) })).rejects.toThrow(
      /does not serve that commit/,
    );
  });

  it("refuses a symbolic link that leaves the project", async () => {
    const repo = server.createRepository("links");
    repo.commit({ passwd: { content: "/etc/passwd", symlink: true } });
    await expect(fetchGitSource({ url: repo.url, allowPrivate: true, ref: "main" })).rejects.toThrow(
      /symbolic link `passwd` pointing outside the project \(`\/etc\/passwd`\)/,
    );
  });

  it("leaves no temporary folder behind, after a fetch or a failure", async () => {
    const ours = () => new Set(readdirSync(tmpdir()).filter((n) => n.startsWith("capstan-git-fetch-")));
    const before = ours();
    await fetchGitSource({ ...base(), ref: "main" });
    await fetchGitSource({ ...base(), ref: "main", path: "missing" }).catch(() => {});
    expect([...ours()].filter((n) => !before.has(n))).toEqual([]);
  });

  it("stops at its deadline", async () => {
    await expect(fetchGitSource({ ...base(), ref: "main", timeoutMs: 1 })).rejects.toThrow(/took too long/);
  });

  it("refuses a commit larger than a bundle may be, naming the limit", async () => {
    const repo = server.createRepository("huge");
    // Random bytes do not compress: 1.5 MiB of them cannot fit in a 1 MiB bundle. The limit is
    // the protocol's 50 MiB in production; a small one keeps the test seconds long on a busy machine.
    repo.commit({ "blob.bin": { content: randomBytes(1.5 * 1024 * 1024) } });
    await expect(
      fetchGitSource({ url: repo.url, allowPrivate: true, ref: "main", maxBundleBytes: 1024 * 1024 }),
    ).rejects.toThrow(/larger than the bundle limit of 1 MiB compressed/);
  });

  it("lists branches, and refuses loopback unless private addresses are allowed", async () => {
    expect(await listGitBranches(base())).toEqual(["dev", "main"]);
    await expect(listGitBranches({ url: repoUrl, allowPrivate: false })).rejects.toThrow(
      /127\.0\.0\.1 is a loopback address.*CAPSTAN_OUTBOUND_ALLOW_PRIVATE/,
    );
  });
});

describe.skipIf(!ok)("private repositories", () => {
  const token = "ghp_s3cretTOKENvalue0123456789abcdef";
  let server: GitHttpServer;
  let url: string;
  beforeAll(async () => {
    server = await startGitHttpServer({ token });
    const repo = server.createRepository("private");
    repo.commit({ "README.md": "private\n" });
    url = repo.url;
  });
  afterAll(() => server?.close());

  it("fetches with the token, sent only as basic auth through git's environment", async () => {
    const { commit } = await fetchGitSource({ url, ref: "main", credential: token, allowPrivate: true });
    expect(commit.ref).toBe("main");
    const auth = `Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;
    expect(server.requests.some((r) => r.authorization === auth)).toBe(true);
    // No request line (URL) ever carried it.
    expect(server.requests.some((r) => r.url.includes(token))).toBe(false);
  });

  it("without a token, or with a wrong one, fails clearly and never shows the token", async () => {
    await expect(listGitBranches({ url, allowPrivate: true })).rejects.toThrow(
      /The repository http:\/\/127\.0\.0\.1:\d+\/private\.git refused access.*source\.git\.credentials/,
    );
    const wrong = "wrong-TOKEN-value-987654321";
    const logged: string[] = [];
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.join(" "))),
    );
    const error = await fetchGitSource({ url, ref: "main", credential: wrong, allowPrivate: true }).catch(
      (e) => e,
    );
    for (const spy of spies) spy.mockRestore();
    expect(error.message).toMatch(/refused access/);
    const shown = JSON.stringify({
      message: error.message,
      details: error.details,
      stack: error.stack,
      logged,
    });
    expect(shown).not.toContain(wrong);
    expect(shown).not.toContain(Buffer.from(`x-access-token:${wrong}`).toString("base64"));
  });
});

describe.skipIf(!ok || !requireComponents("git over ssh", executable("/usr/bin/ssh")))("deploy keys", () => {
  it("uses an OpenSSH key through a key file, and never shows it", async () => {
    const key =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key-MATERIAL-0123456789\n-----END OPENSSH PRIVATE KEY-----";
    // Port 1 on loopback: ssh runs with the key file and fails to connect.
    const error = await listGitBranches({
      url: "ssh://git@127.0.0.1:1/acme/shop.git",
      credential: key,
      allowPrivate: true,
    }).then(
      () => new Error("listed branches of a closed port"),
      (e: Error) => e,
    );
    expect(error.message).toMatch(
      /Git failed reading ssh:\/\/git@127\.0\.0\.1:1\/acme\/shop\.git: .*(refused|port 1)/i,
    );
    expect(error.message).not.toContain("MATERIAL");
  });
});

describe.skipIf(!ok)("hostile sources are refused before git runs", () => {
  const marker = join(tmpdir(), `capstan-git-attack-${process.pid}-${Date.now()}`);
  it.each([
    ["file:///etc", /local \(file:\/\/\) and command \(ext::\) transports are refused/],
    [`ext::sh -c touch% ${marker}`, /whitespace/],
    [`ext::touch%20${marker}`, /transports are refused/],
    [`--upload-pack=touch%20${marker}`, /must not start with '-'/],
    [`-uhttps://example.com/x.git`, /must not start with '-'/],
    ["http://169.254.169.254/latest/meta-data", /169\.254\.169\.254 is a link-local address/],
    ["http://[fe80::1]/repo.git", /link-local/],
    ["https://user:pass@example.com/repo.git", /must not contain a password/],
    ["https://example.com/repo.git\nhttp://x", /whitespace or control characters/],
    ["git@-oProxyCommand=sh:repo", /is not a repository URL/],
    [`ssh://-oProxyCommand=touch%20${marker}/repo`, /is not a repository URL/],
  ])("%s", async (url, message) => {
    await expect(fetchGitSource({ url, ref: "main", allowPrivate: true })).rejects.toThrow(message);
    await expect(listGitBranches({ url, allowPrivate: true })).rejects.toThrow(message);
    expect(existsSync(marker)).toBe(false);
  });

  it("refuses a hostile ref or path before git runs", async () => {
    const url = "https://example.invalid/repo.git";
    await expect(fetchGitSource({ url, ref: "--upload-pack=x", allowPrivate: true })).rejects.toThrow(
      /source\.git\.ref/,
    );
    await expect(fetchGitSource({ url, ref: "main", path: "/etc", allowPrivate: true })).rejects.toThrow(
      /source\.git\.path must be a relative path/,
    );
  });
});
