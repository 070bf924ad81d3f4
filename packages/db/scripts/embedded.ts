// `npm run embedded -w @capstan/db -- [--data-dir DIR] [--port N] [--migrate]`: runs the embedded
// database on its own, for debugging (psql "$URL"). Stops on Ctrl-C.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startEmbeddedPostgres } from "../src/embedded";
import { applyMigrations } from "../src/migrate";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const { values } = parseArgs({
  options: {
    "data-dir": { type: "string", default: join(repoRoot, ".capstan", "pgdata") },
    port: { type: "string", default: "0" },
    migrate: { type: "boolean", default: false },
  },
});

try {
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error("--port must be 0-65535");
  const embedded = await startEmbeddedPostgres({ dataDir: values["data-dir"], port });
  console.log(`embedded PostgreSQL (data in ${values["data-dir"]}) at ${embedded.url}`);
  if (values.migrate) {
    const { applied } = await applyMigrations(embedded.url);
    console.log(applied.length ? `applied ${applied.join(", ")}` : "database is up to date");
  }
  const stop = () => {
    console.log("stopping ...");
    embedded.stop().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(error.message);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
