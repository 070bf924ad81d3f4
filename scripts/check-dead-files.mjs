// Dead-file check for `npm run lint`. knip (which runs first) finds unused dependencies and
// exports, but our packages export `./*` so that apps import one use case per file, and knip
// then counts every source file as a public entry. This walks the real import graph from the
// real entry points instead and reports (1) source files nothing reaches and (2) files under
// src/ that only tests reach (test helpers belong under test/). Exits 1 when it finds any.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const root = join(dirname(new URL(import.meta.url).pathname), "..");
const CODE = /\.(ts|tsx|mjs|js)$/;
const SKIP_DIRS = new Set(["node_modules", ".next", "dist", "generated", ".turbo", "test-data", ".capstan"]);

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name) || name.startsWith(".next")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (CODE.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

const workspaces = new Map(); // "@capstan/core" -> absolute folder
for (const group of ["apps", "packages"]) {
  for (const name of readdirSync(join(root, group))) {
    const pkg = join(root, group, name, "package.json");
    if (existsSync(pkg)) workspaces.set(JSON.parse(readFileSync(pkg, "utf8")).name, join(root, group, name));
  }
}

const files = [...workspaces.values(), join(root, "scripts"), join(root, "bench"), join(root, "e2e")].flatMap(
  (dir) => walk(dir),
);
const known = new Set(files);

function resolveFile(base) {
  for (const candidate of [
    base,
    `${base}.ts`,
    `${base}.tsx`,
    `${base}.mjs`,
    `${base}.js`,
    join(base, "index.ts"),
  ]) {
    if (known.has(candidate)) return candidate;
  }
  // `./foo.js` written for ESM resolution of a .ts file
  const stripped = base.replace(/\.(js|mjs)$/, "");
  if (stripped !== base) return resolveFile(stripped);
  return null;
}

function resolveSpecifier(from, spec) {
  if (spec.startsWith(".")) return resolveFile(join(dirname(from), spec));
  if (spec.startsWith("@/")) return resolveFile(join(root, "apps/web/src", spec.slice(2)));
  const match = /^(@capstan\/[a-z-]+)(?:\/(.*))?$/.exec(spec);
  if (!match) return null;
  const dir = workspaces.get(match[1]);
  if (!dir) return null;
  return resolveFile(join(dir, "src", match[2] ?? "index"));
}

const SPECIFIERS = [
  /\bfrom\s+["']([^"']+)["']/g,
  /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  /^\s*import\s+["']([^"']+)["']/gm,
  /\bvi\.mock\(\s*["']([^"']+)["']/g,
  /\brequire\(\s*["']([^"']+)["']\s*\)/g,
];
const edges = new Map();
for (const file of files) {
  const text = readFileSync(file, "utf8");
  const targets = new Set();
  for (const pattern of SPECIFIERS)
    for (const m of text.matchAll(pattern)) {
      const target = resolveSpecifier(file, m[1]);
      if (target) targets.add(target);
    }
  // Bundled by a script (esbuild entryPoints: "src/cli.ts" from the workspace folder) or run by
  // path from a test ("./fixtures/driver.ts").
  for (const m of text.matchAll(/["'`]((?:\.\.?\/|src\/)[^"'`\s]+\.(?:ts|mjs))["'`]/g)) {
    const from = m[1].startsWith("src/") ? dirname(dirname(file)) : dirname(file);
    const target = resolveFile(join(from, m[1]));
    if (target) targets.add(target);
  }
  edges.set(file, targets);
}

const rel = (f) => relative(root, f);
const isTest = (f) =>
  /\.test\.tsx?$|\.spec\.ts$/.test(f) || /\/(test|tests)\//.test(rel(f)) || rel(f).startsWith("e2e/");
const NEXT_CONVENTIONS =
  /\/app\/.*\/?(page|layout|route|loading|error|not-found|global-error|template|default)\.tsx?$/;
const isProductionEntry = (f) => {
  const r = rel(f);
  return (
    NEXT_CONVENTIONS.test(r) ||
    /^apps\/web\/src\/(instrumentation(-node)?|env|server\/agent-server\/main)\.ts$/.test(r) ||
    /^apps\/web\/(next|postcss)\.config\.(ts|mjs)$/.test(r) ||
    /^apps\/[a-z-]+\/(src\/(main|index)\.ts|bin\/.*|scripts\/.*)$/.test(r) ||
    /^packages\/[a-z-]+\/(src\/index\.ts|scripts\/.*|prisma\.config\.ts)$/.test(r) ||
    /^(scripts|bench)\//.test(r) ||
    /vitest\.config\.ts$|playwright\.config\.ts$/.test(r)
  );
};
// Libraries for tests by design: the test kit, and the test-database helpers db exports for it.
const isTestLibrary = (f) => /^packages\/testkit\/|^packages\/db\/src\/testing\.ts$/.test(rel(f));

function reach(starts) {
  const seen = new Set(starts);
  const queue = [...starts];
  while (queue.length) {
    for (const next of edges.get(queue.pop()) ?? []) {
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  return seen;
}
const production = reach(files.filter(isProductionEntry));
const all = reach(files.filter((f) => isProductionEntry(f) || isTest(f)));

const dead = files.filter((f) => !all.has(f) && !isTest(f));
const testOnly = files.filter(
  (f) => all.has(f) && !production.has(f) && !isTest(f) && !isTestLibrary(f) && /\/src\//.test(rel(f)),
);
for (const f of dead) console.log(`dead file (nothing imports it): ${rel(f)}`);
for (const f of testOnly)
  console.log(`test helper under src/ (only tests import it; move it under test/): ${rel(f)}`);
if (dead.length || testOnly.length) process.exit(1);
console.log(`dead-file check: ${files.length} files, none unreached`);
