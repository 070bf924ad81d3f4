import type { NextConfig } from "next";

const config: NextConfig = {
  // Workspace packages are consumed as TypeScript source.
  transpilePackages: ["@capstan/core", "@capstan/protocol", "@capstan/templates"],
  // Native or server-only modules stay outside the bundle.
  serverExternalPackages: [
    "@node-rs/argon2",
    "pg",
    "@prisma/client",
    "@prisma/adapter-pg",
    "@capstan/db",
    "pino",
    "prom-client",
  ],
  poweredByHeader: false,
  typedRoutes: false,
};

export default config;
