import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 120_000,
    // A suite's setup may build the agent and start a production control plane; on a loaded
    // machine that alone took over 3 minutes. These limits catch hangs, they time nothing.
    hookTimeout: 600_000,
    // Docker- and systemd-backed files share the machine's engine: one file at a time keeps them
    // from starving each other on 2 cores.
    fileParallelism: false,
  },
});
