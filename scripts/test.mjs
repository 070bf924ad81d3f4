// `npm test`: every workspace's tests through Turborepo (unit, PostgreSQL, Docker, systemd and
// browser tests), building the web app and the agent first. Components a test needs and cannot
// find are reported as skips, or, under CI=true, as failures. Extra arguments go to turbo, e.g.
// `npm test -- --filter=@capstan/db`. Ends with one line adding up every runner's counts.
import { spawn } from "node:child_process";
import { ensureInstalled, root } from "./bootstrap.mjs";

ensureInstalled();
const turbo = spawn(
  process.execPath,
  [
    "node_modules/turbo/bin/turbo",
    "run",
    "test",
    "--concurrency=2",
    "--continue",
    "--output-logs=full",
    "--log-order=grouped",
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
);

let output = "";
turbo.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  output += chunk.toString();
});
turbo.on("exit", (code) => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
  const text = output.replace(/\u001b\[[0-9;]*m/g, "");
  // Vitest closes with "Tests  2 failed | 40 passed (43)"; Playwright with "9 passed (3.1m)".
  const summaries = [
    ...text.matchAll(/^\S+:test:\s+Tests\s+(.*)$/gm),
    ...text.matchAll(/^@capstan\/e2e:test:\s+(\d+ (?:passed|failed|flaky|skipped).*)$/gm),
  ]
    .map((m) => m[1])
    .join("\n");
  const sum = (word) =>
    [...summaries.matchAll(new RegExp(`(\\d+) ${word}`, "g"))].reduce((s, m) => s + Number(m[1]), 0);
  const totals = { passed: sum("passed"), failed: sum("failed"), skipped: sum("skipped") };
  console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  process.exit(code ?? 1);
});
