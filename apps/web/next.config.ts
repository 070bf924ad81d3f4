import type { NextConfig } from "next";

const config: NextConfig = {
  // Workspace packages are consumed as TypeScript source, so Next compiles them. @capstan/db is
  // transpiled too (not external): Node cannot load its .ts entry point at run time.
  transpilePackages: ["@capstan/core", "@capstan/db", "@capstan/protocol", "@capstan/templates"],
  // Native or server-only modules stay outside the bundle.
  serverExternalPackages: [
    "@node-rs/argon2",
    "pg",
    "@prisma/client",
    "@prisma/adapter-pg",
    "pino",
    "prom-client",
  ],
  // The agent restart test and the dispatch benchmark build into their own folder so a concurrent
  // `next build` (e2e global setup) cannot delete the build under a running server.
  distDir: process.env.CAPSTAN_NEXT_DIST_DIR || ".next",
  // The build type-checks app code only; tests are checked by `npm run typecheck`.
  typescript: { tsconfigPath: "tsconfig.build.json" },
  poweredByHeader: false,
  typedRoutes: false,
};

export default config;
