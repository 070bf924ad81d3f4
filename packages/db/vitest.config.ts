import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "scripts/**/*.test.ts"],
    // Migrating and starting PGlite take a few seconds on 2 cores.
    testTimeout: 30_000,
    // Migrating and starting PGlite took over a minute beside a soak and the other suites.
    hookTimeout: 180_000,
  },
});
