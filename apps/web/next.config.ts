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
  poweredByHeader: false,
  typedRoutes: false,
};

export default config;
