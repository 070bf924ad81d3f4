import type { NextConfig } from "next";

// Baseline browser hardening for every response. No CSP yet: Next's inline bootstrap scripts
// need nonces, which would make every page dynamic.
const SECURITY_HEADERS = [
  { key: "X-Frame-Options", value: "DENY" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "same-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
];

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
  async headers() {
    return [{ source: "/:path*", headers: SECURITY_HEADERS }];
  },
  typedRoutes: false,
};

export default config;
