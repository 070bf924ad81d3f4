// `npm start`: the control plane with an embedded database (unless DATABASE_URL is set) and a
// local agent. Installs dependencies and builds on first use; see scripts/start.ts.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ensureInstalled, root } from "./bootstrap.mjs";

ensureInstalled();
const child = spawn(
  process.execPath,
  ["--import", "tsx", join(root, "scripts", "start.ts"), ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: "inherit",
  },
);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
