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
    console.log("[capstan] installing dependencies (npm install, a few minutes the first time) ...");
    // Install scripts: package.json's allowScripts denies all six that dependencies declare;
    // Capstan needs none of them. One warning cannot be configured away, so it is explained.
    if (Number(process.versions.node.split(".")[0]) < 22) {
      console.log(
        "[capstan] (npm may warn EBADENGINE for @prisma/streams-local, which wants Node 22: only `prisma dev` uses it, and Capstan does not)",
      );
    }
    run(npm, ["install", "--no-audit", "--no-fund"]);
  }
  if (!existsSync(join(root, "packages", "db", "src", "generated", "prisma", "client.ts"))) {
    console.log("[capstan] generating the Prisma client ...");
    // Through Turborepo, so the build that follows finds the result in its cache instead of
    // generating it again.
    const turbo = join(root, "node_modules", "turbo", "bin", "turbo");
    try {
      run(process.execPath, [turbo, "run", "generate", "--filter=@capstan/db", "--output-logs=errors-only"], {
        stdio: "pipe",
      });
    } catch (error) {
      process.stderr.write(Buffer.concat([error.stdout ?? Buffer.alloc(0), error.stderr ?? Buffer.alloc(0)]));
      throw error;
    }
  }
}
