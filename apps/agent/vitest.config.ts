import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Docker- and systemd-backed files share the machine's engine: one file at a time keeps them
    // from starving each other on 2 cores.
    fileParallelism: false,
  },
});
