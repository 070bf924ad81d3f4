import type { NextConfig } from "next";

// Browser hardening for every response. The CSP allows inline scripts and styles (Next's
// bootstrap scripts would otherwise need per-request nonces, which make every page dynamic) but
// nothing from another origin: no foreign script, frame, form target or fetch, and no <base>.
// Development adds 'unsafe-eval' for React's dev tooling.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${process.env.NODE_ENV === "production" ? "" : " 'unsafe-eval'"}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = [
  { key: "Content-Security-Policy", value: CONTENT_SECURITY_POLICY },
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
  // The build type-checks app code only; tests are checked by `npm run typecheck`. `npm start`
  // skips the check (about 30 s on 2 cores, and serving needs none of it); it is in turbo.json's
  // build cache key, so an unchecked build never stands in for `npm run build`.
  typescript: {
    tsconfigPath: "tsconfig.build.json",
    ignoreBuildErrors: process.env.CAPSTAN_BUILD_SKIP_TYPECHECK === "1",
  },
  poweredByHeader: false,
  async headers() {
    return [{ source: "/:path*", headers: SECURITY_HEADERS }];
  },
  typedRoutes: false,
};

export default config;
