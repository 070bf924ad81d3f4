// Builds the agent for distribution:
//   dist/capstan-agent.cjs   single-file bundle (CommonJS: Node's SEA loader needs it)
//   dist/capstan-agent       Node single executable application (linux-x64), needs no Node
//   dist/SHA256SUMS          sha256 of both, in `sha256sum -c` format
//   dist/VERSION             the version both report; the control plane offers it as the upgrade target
// Usage: node scripts/build.mjs [--no-sea] [--version V] [--out DIR]
//   --version and --out build another version elsewhere (the upgrade tests publish one).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const { values: options } = parseArgs({
  options: {
    "no-sea": { type: "boolean", default: false },
    version: { type: "string", default: pkg.version },
    out: { type: "string", default: join(root, "dist") },
  },
});
if (!/^[0-9A-Za-z.+-]{1,100}$/.test(options.version))
  throw new Error(
    `--version must be a version like 1.2.3 or 1.2.3-rc.1, not ${JSON.stringify(options.version)}`,
  );
const dist = resolve(options.out);
const started = Date.now();

// Only our own outputs are replaced: a --no-sea build keeps an executable built earlier.
mkdirSync(dist, { recursive: true });
for (const f of ["capstan-agent.cjs", "SHA256SUMS", "VERSION", "sea-prep.blob", "sea-config.json"])
  rmSync(join(dist, f), { force: true });

const bundle = join(dist, "capstan-agent.cjs");
await build({
  entryPoints: [join(root, "src/cli.ts")],
  outfile: bundle,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  // Workspace packages are ESM and some use import.meta.url (createRequire); CJS has none.
  define: {
    __CAPSTAN_AGENT_VERSION__: JSON.stringify(options.version),
    "import.meta.url": "__capstanImportMetaUrl",
  },
  banner: { js: 'var __capstanImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  // Optional native add-ons of ssh2 (pulled in by docker-modem) become modules that throw, which
  // ssh2 catches and falls back to pure JS, instead of a runtime require the SEA cannot serve.
  plugins: [
    {
      // dockerode loads BuildKit sessions (gRPC) and docker-modem the SSH transport when they are
      // required, not when used. The agent only speaks to the local Docker socket, so they stay
      // out: about 750 kB of bundle and several MB of memory at idle. Using one throws.
      name: "no-unused-docker-transports",
      setup(b) {
        b.onResolve({ filter: /^(ssh2|@grpc\/grpc-js|@grpc\/proto-loader)$/ }, (args) => ({
          path: args.path,
          namespace: "unused-transport",
        }));
        b.onLoad({ filter: /.*/, namespace: "unused-transport" }, (args) => ({
          contents: `const unavailable = () => { throw new Error(${JSON.stringify(`${args.path} is not in the agent build: the agent uses the local Docker socket only`)}); };
module.exports = new Proxy({}, { get: (_, key) => (typeof key === "symbol" || key === "__esModule" ? undefined : unavailable) });`,
          loader: "js",
        }));
      },
    },
    {
      name: "no-native-addons",
      setup(b) {
        b.onResolve({ filter: /^(cpu-features|supports-color)$|\.node$/ }, (args) => ({
          path: args.path,
          namespace: "no-native",
        }));
        b.onLoad({ filter: /.*/, namespace: "no-native" }, () => ({
          contents: 'throw new Error("native add-on not bundled");',
          loader: "js",
        }));
      },
    },
  ],
  logLevel: "warning",
});

const built = ["capstan-agent.cjs"];
if (!options["no-sea"]) {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(
      `the single executable is built for linux-x64; this is ${process.platform}-${process.arch}`,
    );
  }
  const blob = join(dist, "sea-prep.blob");
  const seaConfig = join(dist, "sea-config.json");
  writeFileSync(
    seaConfig,
    JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false }),
  );
  execFileSync(process.execPath, ["--experimental-sea-config", seaConfig], { stdio: "inherit" });
  const exe = join(dist, "capstan-agent");
  rmSync(exe, { force: true });
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  // Debug symbols are most of a distribution's node binary; the executable does not need them.
  try {
    execFileSync("strip", ["--strip-debug", exe], { stdio: "pipe" });
  } catch {
    console.warn("strip not available; the executable keeps its debug symbols");
  }
  const postject = join(dirname(fileURLToPath(import.meta.resolve("postject"))), "cli.js");
  execFileSync(
    process.execPath,
    [
      postject,
      exe,
      "NODE_SEA_BLOB",
      blob,
      "--sentinel-fuse",
      "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2",
    ],
    { stdio: "pipe" },
  );
  rmSync(blob);
  rmSync(seaConfig);
  built.push("capstan-agent");
}
const files = ["capstan-agent.cjs", "capstan-agent"].filter((f) => existsSync(join(dist, f)));

const sums = files.map(
  (f) =>
    `${createHash("sha256")
      .update(readFileSync(join(dist, f)))
      .digest("hex")}  ${f}`,
);
writeFileSync(join(dist, "SHA256SUMS"), `${sums.join("\n")}\n`);
writeFileSync(join(dist, "VERSION"), `${options.version}\n`);
console.log(
  `agent build ${options.version}: ${built.join(", ")} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
