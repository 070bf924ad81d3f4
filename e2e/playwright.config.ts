// Browser tests drive real Chromium against the production build (`next start`) on a free
// port, with a fresh, migrated database per run (src/global-setup.ts).
import { execFileSync } from "node:child_process";
import { defineConfig, devices } from "@playwright/test";

// Workers load this file again; they inherit the port chosen by the main process.
if (!process.env.CAPSTAN_E2E_PORT) {
  const script =
    "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})";
  process.env.CAPSTAN_E2E_PORT = execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }).trim();
}
const baseURL = `http://127.0.0.1:${process.env.CAPSTAN_E2E_PORT}`;

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export default defineConfig({
  testDir: "./tests",
  outputDir: "./test-results",
  globalSetup: "./src/global-setup.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI
    ? [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]]
    : "list",
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        viewport: { width: 1280, height: 800 },
        launchOptions: { executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS },
      },
    },
  ],
});
