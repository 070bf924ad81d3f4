import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Pure tests, but some compile big schemas (Ajv) or parse whole docs: on a loaded 2-core CI
    // machine those took over Vitest's 5 s default (measured 7-21 s beside a soak).
    testTimeout: 60_000,
  },
});
