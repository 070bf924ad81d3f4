// `prisma generate` without internet: every Prisma CLI command first tries to download the
// native schema engine, which is unreachable here. Pointing PRISMA_SCHEMA_ENGINE_BINARY at any
// existing file skips that download; generate itself never runs the engine.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const prismaCli = join(dirname(require.resolve("prisma/package.json")), "build", "index.js");
execFileSync(process.execPath, [prismaCli, "generate"], {
  cwd: join(here, ".."),
  stdio: "inherit",
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    CHECKPOINT_DISABLE: "1",
  },
});
