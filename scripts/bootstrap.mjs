// Shared by `npm start` and `npm test` on a fresh clone: installs dependencies when node_modules
// is missing and generates the Prisma client. Plain JavaScript, so it runs before anything else
// is installed.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

export function run(command, args, options = {}) {
  execFileSync(command, args, { cwd: root, stdio: "inherit", ...options });
}

export function ensureInstalled() {
  if (!existsSync(join(root, "node_modules", ".package-lock.json"))) {
    console.log("[capstan] installing dependencies (npm install) ...");
    run(npm, ["install", "--no-audit", "--no-fund"]);
  }
  if (!existsSync(join(root, "packages", "db", "src", "generated", "prisma", "client.ts"))) {
    console.log("[capstan] generating the Prisma client ...");
    run(npm, ["run", "--silent", "db:generate"]);
  }
}
