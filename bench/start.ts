// `npm run bench:start`: how long a new user waits. Clones this checkout into a temp folder, runs
// `npm start` there on a free port and times it until GET /setup answers 200; then stops it and
// starts it again (nothing changed: the build is reused) and times that too. Node modules are
// hard-linked from this checkout unless `--install`, which times `npm install` as well (from the
// npm cache when it is warm). Prints one line and records it in docs/dev/benchmarks.md.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { recordRun } from "./record-run";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values: args } = parseArgs({
  options: { install: { type: "boolean", default: false }, keep: { type: "boolean", default: false } },
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** This environment without what would point the clone elsewhere (an outside database or URL). */
function startEnv(port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
  for (const name of ["DATABASE_URL", "CAPSTAN_PUBLIC_URL", "CAPSTAN_SETUP_CODE_FILE", "NEXTAUTH_URL"])
    delete env[name];
  return env;
}

interface Timed {
  seconds: number;
  /** Seconds at which each `[capstan] ...` line appeared. */
  marks: Array<[number, string]>;
}

/** Starts `npm start` in `dir` and resolves once /setup answers; leaves it running. */
async function timeStart(dir: string, port: number): Promise<Timed & { child: ChildProcess }> {
  const started = Date.now();
  const child = spawn(process.execPath, [join(dir, "scripts", "start.mjs")], {
    cwd: dir,
    detached: true, // its own process group, so the whole tree stops together
    stdio: ["ignore", "pipe", "pipe"],
    env: startEnv(port),
  });
  const marks: Array<[number, string]> = [];
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk;
    for (const line of chunk.toString().split("\n"))
      if (line.startsWith("[capstan]")) marks.push([(Date.now() - started) / 1000, line.slice(10)]);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const deadline = started + 30 * 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output}`);
    const status = await fetch(`http://127.0.0.1:${port}/setup`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return { seconds: (Date.now() - started) / 1000, marks, child };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`/setup did not answer within 30 minutes:\n${output}`);
}

async function stopStart(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || !child.pid) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(-child.pid, "SIGTERM");
  await exited;
}

function markAt(timed: Timed, text: string): string {
  const mark = timed.marks.find(([, line]) => line.includes(text));
  return mark ? `${Math.round(mark[0])} s` : "?";
}

const dir = mkdtempSync(join(tmpdir(), "capstan-bench-start-"));
try {
  execFileSync("git", ["clone", "--quiet", ROOT, dir]);
  if (!args.install) {
    for (const folder of ["", "e2e", ...listWorkspaces("apps"), ...listWorkspaces("packages")]) {
      const source = join(ROOT, folder, "node_modules");
      if (existsSync(source)) execFileSync("cp", ["-al", source, join(dir, folder)]);
    }
  }
  const load = loadavg()[0]!.toFixed(1);
  const fresh = await timeStart(dir, await freePort());
  await stopStart(fresh.child);
  const again = await timeStart(dir, await freePort());
  await stopStart(again.child);
  const line =
    `fresh clone -> /setup answers: ${Math.round(fresh.seconds)} s` +
    ` (${args.install ? `npm install done at ${markAt(fresh, "generating")}, ` : ""}` +
    `control plane built at ${markAt(fresh, "built the control plane")}); second start: ${Math.round(again.seconds)} s`;
  console.log(`[bench] ${line}`);
  recordRun(
    {
      command: `npm run bench:start${args.install ? " -- --install" : ""}`,
      line,
      notes: `load average ${load} at the start (machine shared with other work)`,
    },
    {
      name: "start",
      heading: "## `npm start` from a fresh clone (`npm run bench:start`)",
      intro: [
        "`git clone` of this checkout into a temp folder, then `npm start` (embedded database, local",
        "agent) on a free port, timed until `GET /setup` answers 200; then a second start of the same",
        "clone. Node modules are hard-linked from the checkout (`--install` runs `npm install` too).",
      ],
    },
  );
} finally {
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}

function listWorkspaces(group: string): string[] {
  return execFileSync("git", ["-C", ROOT, "ls-tree", "--name-only", "HEAD", `${group}/`], {
    encoding: "utf8",
  })
    .split("\n")
    .filter(Boolean);
}
