import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      "@/": fileURLToPath(new URL("./src/", import.meta.url)),
      // `server-only` throws outside React Server Components; tests run server code directly.
      "server-only": fileURLToPath(new URL("./test/empty-module.ts", import.meta.url)),
    },
  },
  test: {
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
    // A hang guard, not a timing: a test that spawns the CLI twice took over 30 s on a loaded
    // fresh-clone run (each cold node start of the CLI took seconds).
    testTimeout: 120_000,
    // Setups start servers and create databases; on a loaded machine one CREATE DATABASE took
    // over a minute. The limit catches hangs, it times nothing.
    hookTimeout: 180_000,
  },
});
