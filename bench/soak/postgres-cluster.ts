// The soak's own PostgreSQL: a throwaway cluster (initdb + pg_ctl from the machine's server
// binaries) in a temp dir on a random loopback port, so restarting it as a fault never touches
// the shared server other tests use. Trust authentication is safe here: it listens on loopback
// only and lives for one run.
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export interface PostgresCluster {
  /** Admin URL (database `postgres`, user `capstan`). */
  url: string;
  port: number;
  /** A crash (`stop -m immediate`) then a start: committed transactions must survive it. */
  restart(): Promise<void>;
  stop(): void;
}

/** The newest installed server's bin folder (/usr/lib/postgresql/<major>/bin). */
function findBinDir(): string {
  const root = "/usr/lib/postgresql";
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => existsSync(join(root, d, "bin", "pg_ctl")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!majors[0]) throw new Error(`No PostgreSQL server binaries under ${root}: install postgresql.`);
  return join(root, majors[0], "bin");
}

/** A cluster in a temp dir of its own (owned by `postgres` when run as root). */
export function startPostgresCluster(port: number): PostgresCluster {
  const bin = findBinDir();
  const dir = mkdtempSync(join(tmpdir(), "capstan-soak-pg-"));
  const data = join(dir, "pgdata");
  const logFile = join(dir, "postgres.log");
  // initdb refuses to run as root: as root, the cluster belongs to the `postgres` account.
  const asRoot = userInfo().uid === 0;
  const run = (tool: string, args: string[]) => {
    const argv = asRoot ? ["-u", "postgres", "--", join(bin, tool), ...args] : args;
    const result = spawnSync(asRoot ? "runuser" : join(bin, tool), argv, { encoding: "utf8" });
    if (result.status !== 0)
      throw new Error(
        `${tool} failed (exit ${result.status}): ${(result.stderr || result.stdout).slice(-2000)}`,
      );
  };
  if (asRoot) {
    const ids = execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim();
    const gid = execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim();
    chownSync(dir, Number(ids), Number(gid));
    chmodSync(dir, 0o700);
  }
  run("initdb", ["-D", data, "-U", "capstan", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  // fsync off: the kernel survives every fault here (only PostgreSQL is killed), and the shared
  // machine's disk is busy. synchronous_commit stays on, so a crash keeps every acknowledged commit.
  const options = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${dir}`,
    "-c fsync=off",
    "-c full_page_writes=off",
    "-c max_connections=300",
    "-c shared_buffers=128MB",
  ].join(" ");
  const startArgs = ["-D", data, "-l", logFile, "-o", options, "-w", "-t", "120", "start"];
  const stopArgs = ["-D", data, "-m", "immediate", "-w", "stop"];
  run("pg_ctl", startArgs);
  // Async while the soak runs: its event loop also carries the proxies and the deployment creator.
  const runAsync = async (args: string[]) => {
    const pgCtl = join(bin, "pg_ctl");
    await promisify(execFile)(
      asRoot ? "runuser" : pgCtl,
      asRoot ? ["-u", "postgres", "--", pgCtl, ...args] : args,
    );
  };
  return {
    url: `postgresql://capstan@127.0.0.1:${port}/postgres`,
    port,
    async restart() {
      await runAsync(stopArgs);
      await runAsync(startArgs);
    },
    stop() {
      try {
        run("pg_ctl", stopArgs);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
