// A real Git server on loopback for tests: Debian's `git http-backend` (the CGI program every
// Git hosting stack wraps) behind a small Node HTTP server on 127.0.0.1 and a random port, with
// optional HTTP basic auth. Repositories are real bare repositories made with the git CLI.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const HTTP_BACKEND = "/usr/lib/git-core/git-http-backend";

/** Exactly these variables, nothing inherited (the cast only meets Next's ProcessEnv typing). */
const onlyEnv = (vars: Record<string, string>) => vars as NodeJS.ProcessEnv;

/** Git run with no user or system configuration, so the machine's settings change nothing. */
function git(cwd: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: onlyEnv({
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_AUTHOR_NAME: "Test Author",
      GIT_AUTHOR_EMAIL: "author@example.test",
      GIT_COMMITTER_NAME: "Test Author",
      GIT_COMMITTER_EMAIL: "author@example.test",
      ...env,
    }),
  }).trim();
}

export interface GitServerRequest {
  method: string;
  url: string;
  authorization: string | null;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Folder holding the bare repositories (`<name>.git`). */
  root: string;
  /** Every request seen, in order (tests check what credentials arrived). */
  requests: GitServerRequest[];
  /** Makes an empty bare repository served at `<url>/<name>.git`. */
  createRepository(name: string): GitTestRepository;
  close(): Promise<void>;
}

export interface GitTestRepository {
  /** `<server url>/<name>.git` */
  url: string;
  /** Commits `files` (path -> text, or {content, mode}) on `branch` (created from HEAD when new). Returns the commit id. */
  commit(
    files: Record<string, string | { content: string | Buffer; mode?: number; symlink?: boolean }>,
    options?: { message?: string; branch?: string; date?: string },
  ): string;
  /** A tag at `commit`; annotated (a tag object) when `message` is given. */
  tag(name: string, commit: string, message?: string): void;
}

/**
 * Starts the server. With `token`, every request needs HTTP basic auth whose password is the
 * token (any user name), as GitHub, GitLab and Gitea accept access tokens.
 */
export async function startGitHttpServer(options: { token?: string } = {}): Promise<GitHttpServer> {
  const root = mkdtempSync(join(tmpdir(), "capstan-git-server-"));
  const repos = join(root, "repos");
  mkdirSync(repos);
  const requests: GitServerRequest[] = [];
  const expected = options.token ? `:${options.token}` : null;

  const authorized = (req: IncomingMessage) => {
    if (!expected) return true;
    const header = req.headers.authorization ?? "";
    if (!header.startsWith("Basic ")) return false;
    const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
    return decoded.endsWith(expected);
  };

  const server = createServer((req, res) => {
    requests.push({
      method: req.method ?? "",
      url: req.url ?? "",
      authorization: req.headers.authorization ?? null,
    });
    if (!authorized(req)) {
      res
        .writeHead(401, { "WWW-Authenticate": 'Basic realm="capstan-test"' })
        .end("authentication required\n");
      return;
    }
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const cgi = spawn(HTTP_BACKEND, [], {
      env: onlyEnv({
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        GIT_PROJECT_ROOT: repos,
        GIT_HTTP_EXPORT_ALL: "1",
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        HOME: root,
        REQUEST_METHOD: req.method ?? "GET",
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
        REMOTE_USER: expected ? "token" : "",
        GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
        HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"] ?? ""),
      }),
      stdio: ["pipe", "pipe", "ignore"],
    });
    req.pipe(cgi.stdin);
    cgi.stdin.on("error", () => {});
    // CGI answer: header lines, a blank line, the body.
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    cgi.on("close", () => {
      if (!headersDone) res.writeHead(502);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    root: repos,
    requests,
    createRepository: (name) => createRepository(join(repos, `${name}.git`), `${base}/${name}.git`),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function createRepository(bare: string, url: string): GitTestRepository {
  git(dirname(bare), ["init", "--quiet", "--bare", "--initial-branch=main", bare]);
  const work = `${bare}-work`;
  git(dirname(bare), ["clone", "--quiet", bare, work]);
  return {
    url,
    commit(files, { message = "a commit", branch = "main", date } = {}) {
      let hasHead = true;
      try {
        git(work, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]);
      } catch {
        hasHead = false;
      }
      if (!hasHead) git(work, ["symbolic-ref", "HEAD", `refs/heads/${branch}`]);
      else if (git(work, ["branch", "--list", branch])) git(work, ["checkout", "--quiet", branch]);
      else git(work, ["checkout", "--quiet", "-b", branch]);
      for (const [path, value] of Object.entries(files)) {
        const file = join(work, path);
        mkdirSync(dirname(file), { recursive: true });
        rmSync(file, { force: true });
        const entry = typeof value === "string" ? { content: value } : value;
        if (entry.symlink) execFileSync("ln", ["-s", String(entry.content), file]);
        else writeFileSync(file, entry.content, { mode: entry.mode ?? 0o644 });
      }
      git(work, ["add", "--all"]);
      const when: Record<string, string> = date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {};
      git(work, ["commit", "--quiet", "--allow-empty", "-m", message], when);
      git(work, ["push", "--quiet", "origin", `HEAD:refs/heads/${branch}`]);
      return git(work, ["rev-parse", "HEAD"]);
    },
    tag(name, commit, message) {
      const args = message ? ["tag", "-a", "-m", message, name, commit] : ["tag", name, commit];
      git(work, args);
      git(work, ["push", "--quiet", "origin", `refs/tags/${name}`]);
    },
  };
}
