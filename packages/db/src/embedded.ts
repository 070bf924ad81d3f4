// An embedded PostgreSQL for `npm start` without DATABASE_URL: PGlite (PostgreSQL compiled to
// WebAssembly, nothing to download or run as another user) with its data in a folder, served
// over the PostgreSQL wire protocol on loopback.
//
// Several clients share PGlite's single session through ./embedded-server.ts: each client's
// batch of messages (up to Sync/Query) runs as a unit, and a client inside a transaction keeps
// the session until it commits or rolls back, while the others queue. Session state is shared:
// SET, named prepared statements and temporary tables are visible to every connection.
// LISTEN/NOTIFY works across connections (notifications are routed to the listening clients).
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { WireServer } from "./embedded-server";

export interface EmbeddedPostgresOptions {
  /** Folder for the data files; created if missing (e.g. <repo>/.capstan/pgdata). */
  dataDir: string;
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Loopback address to listen on (default 127.0.0.1). There is no authentication, so only loopback. */
  host?: string;
  /** Connections accepted at once (default 16); they share one session, see above. */
  maxConnections?: number;
  /** How long a client may sit in a transaction while others wait before it is cut off (default 60 s). */
  idleInTransactionMs?: number;
}

export interface EmbeddedPostgres {
  /** postgresql:// URL for node-postgres / Prisma; any user and password are accepted. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

// Folders this process has open; a pid file with our own pid may also be left by an earlier
// process that had the same pid (containers restart as the same pid).
const openHere = new Set<string>();

// Two PGlite instances on one data folder would corrupt it; a pid file next to it says who has it.
function lockDataDir(dataDir: string): () => void {
  if (openHere.has(dataDir))
    throw new Error(`The embedded database in ${dataDir} is already in use by this process.`);
  const lockFile = `${dataDir}.lock`;
  mkdirSync(dirname(lockFile), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      openHere.add(dataDir);
      return () => {
        openHere.delete(dataDir);
        rmSync(lockFile, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number.parseInt(readFileSync(lockFile, "utf8"), 10);
      if (Number.isInteger(pid) && pid !== process.pid && isRunning(pid)) {
        throw new Error(`The embedded database in ${dataDir} is already in use by process ${pid}.`);
      }
      rmSync(lockFile, { force: true }); // left behind by a process that is gone
    }
  }
  throw new Error(`Cannot lock the embedded database folder ${dataDir}.`);
}

export async function startEmbeddedPostgres({
  dataDir,
  port = 0,
  host = "127.0.0.1",
  maxConnections = 16,
  idleInTransactionMs = 60_000,
}: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  if (!LOOPBACK.test(host)) {
    throw new Error(
      `The embedded database accepts any password, so it listens on loopback only (got ${host}).`,
    );
  }
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const unlock = lockDataDir(dir);
  const listenHost = host === "localhost" ? "127.0.0.1" : host;
  let db: PGlite | undefined;
  let server: WireServer | undefined;
  let boundPort: number;
  try {
    db = await PGlite.create({ dataDir: dir });
    server = new WireServer(db, { maxConnections, idleInTransactionMs });
    boundPort = await server.listen(port, listenHost);
  } catch (error) {
    await server?.close().catch(() => {});
    await db?.close().catch(() => {});
    unlock();
    throw error;
  }
  const urlHost = listenHost.includes(":") ? `[${listenHost}]` : listenHost;
  let stopping: Promise<void> | undefined;
  const running = { db, server };
  return {
    url: `postgresql://postgres:postgres@${urlHost}:${boundPort}/postgres`,
    port: boundPort,
    stop() {
      stopping ??= (async () => {
        try {
          await running.server.close();
          // Closing flushes PGlite's files; a killed process may lose the last writes.
          await running.db.close();
        } finally {
          unlock();
        }
      })();
      return stopping;
    },
  };
}
