// `npm run bench`: every benchmark, one after the other (each prints its one result line and
// records it in docs/benchmarks.md). Arguments go to each, e.g. `npm run bench -- --agents 200`.
import { ensureInstalled, run } from "./bootstrap.mjs";

ensureInstalled();
const args = process.argv.slice(2);
for (const name of ["bench:dispatch", "bench:agent"]) {
  console.log(`[bench] npm run ${name} ${args.join(" ")}`.trim());
  run("npm", ["run", "--silent", name, ...(args.length ? ["--", ...args] : [])]);
}
