import { defineConfig } from "vitest/config";

// Most tests here run against real PostgreSQL: on a busy machine a query waits its turn, so the
// limits are about hangs, not speed (timings are measured by benchmarks, never asserted).
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
