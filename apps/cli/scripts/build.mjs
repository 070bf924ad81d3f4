// Builds the CLI for distribution: dist/capstan.mjs, one ES module with a node shebang and every
// dependency (workspace packages included) inside, so it runs with Node 20+ and nothing else.
// The control plane serves it at /cli/capstan.mjs; `npm publish` ships it as the package's bin.
// Usage: node scripts/build.mjs [--out DIR]
import { chmodSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const { values: options } = parseArgs({ options: { out: { type: "string", default: join(root, "dist") } } });
const dist = resolve(options.out);
const outfile = join(dist, "capstan.mjs");
const started = Date.now();

mkdirSync(dist, { recursive: true });
await build({
  entryPoints: [join(root, "src/cli.ts")],
  outfile,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  define: { __CAPSTAN_CLI_VERSION__: JSON.stringify(pkg.version) },
  // Bundled CommonJS dependencies call require() for Node's built-ins; an ES module has none.
  banner: {
    js: [
      "#!/usr/bin/env node",
      'import { createRequire as __capstanCreateRequire } from "node:module";',
      "const require = __capstanCreateRequire(import.meta.url);",
    ].join("\n"),
  },
  logLevel: "warning",
});
chmodSync(outfile, 0o755);
console.log(`cli build ${pkg.version}: ${outfile} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
