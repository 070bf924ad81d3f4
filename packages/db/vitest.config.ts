import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "scripts/**/*.test.ts"],
    // Migrating and starting PGlite take a few seconds on 2 cores.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
