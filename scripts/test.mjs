// `npm test`: every workspace's tests through Turborepo (unit, PostgreSQL, Docker, systemd and
// browser tests). Components a test needs and cannot find are reported as skips, or, under
// CI=true, as failures. Extra arguments go to turbo, e.g. `npm test -- --filter=@capstan/db`.
import { ensureInstalled, run } from "./bootstrap.mjs";

ensureInstalled();
run(process.execPath, [
  "node_modules/turbo/bin/turbo",
  "run",
  "test",
  "--concurrency=2",
  "--continue",
  "--output-logs=full",
  "--log-order=grouped",
  ...process.argv.slice(2),
]);
