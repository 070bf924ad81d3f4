// `npm run backup [-- --out FILE] [--force]`: a pg_dump custom-format archive of the control
// plane's database (DATABASE_URL). Secrets stay encrypted in it; the key-encryption key
// (CAPSTAN_SECRETS_KEY or its file) is NOT in it and must be kept alongside. See docs/user/backup.md.
import { createHash } from "node:crypto";
import { createReadStream, existsSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import {
  findTool,
  formatBytes,
  parseDatabaseUrl,
  readEnv,
  requiredKekIds,
  runTool,
  serverMajor,
  ToolError,
  userPath,
  withClient,
} from "./pg-tools";

// Scripts read their environment here, once.
const env = readEnv();
const log = (message: string) => console.log(`[backup] ${message}`);

function defaultName(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-");
  return `capstan-backup-${stamp}.dump`;
}

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: "string", short: "o" }, force: { type: "boolean", default: false } },
    strict: true,
  });
  const conn = parseDatabaseUrl(env.DATABASE_URL);
  const out = userPath(values.out ?? defaultName(), env.INIT_CWD);
  if (!existsSync(dirname(out))) throw new ToolError(`Directory ${dirname(out)} does not exist.`);
  if (existsSync(out) && !values.force) throw new ToolError(`${out} exists; pass --force to overwrite it.`);

  log(`connecting to ${conn.label} ...`);
  const { major, kekIds } = await withClient(conn, async (client) => ({
    major: await serverMajor(client),
    kekIds: await requiredKekIds(client).catch(() => null),
  }));
  const pgDump = findTool("pg_dump", major, env.PG_BIN_DIR);
  log(`PostgreSQL ${major}; using ${pgDump}`);

  // Written beside the target and renamed when complete, so a failed run never leaves a
  // truncated file under the final name. Mode 0600: it holds password hashes and wrapped keys.
  const partial = `${out}.partial`;
  rmSync(partial, { force: true });
  const oldUmask = process.umask(0o077);
  try {
    await runTool(
      pgDump,
      ["--format=custom", "--verbose", "--no-password", "--file", partial, "--dbname", conn.toolUrl],
      conn.toolEnv,
      (line) => {
        const table = /dumping contents of table "?([^"]+)"?/.exec(line);
        return table ? `[backup] table ${table[1]}` : null;
      },
    );
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    process.umask(oldUmask);
  }
  renameSync(partial, out);

  const size = statSync(out).size;
  log(`wrote ${out} (${formatBytes(size)}, sha256 ${await sha256(out)})`);
  if (kekIds && kekIds.length > 0) {
    log(
      `secrets in this backup are encrypted; reading them needs key-encryption key(s): ${kekIds.join(", ")}`,
    );
  }
  log(
    "REMINDER: this file does not contain CAPSTAN_SECRETS_KEY (or the file CAPSTAN_SECRETS_KEY_FILE points to). " +
      "Keep a copy of that key with every backup, stored separately: without it the secrets in the backup cannot be decrypted.",
  );
}

main().catch((error: unknown) => {
  console.error(`[backup] failed: ${error instanceof ToolError ? error.message : (error as Error).stack}`);
  process.exit(1);
});
