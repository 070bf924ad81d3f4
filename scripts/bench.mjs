// `npm run bench`: every benchmark, one after the other (each prints its one result line and
// records it in docs/dev/benchmarks.md). Arguments go to the dispatch benchmark, e.g.
// `npm run bench -- --agents 200`.
import { ensureInstalled, run } from "./bootstrap.mjs";

ensureInstalled();
const args = process.argv.slice(2);
console.log(`[bench] npm run bench:dispatch ${args.join(" ")}`.trim());
run("npm", ["run", "--silent", "bench:dispatch", ...(args.length ? ["--", ...args] : [])]);
console.log("[bench] npm run bench:agent");
run("npm", ["run", "--silent", "bench:agent"]);
console.log("[bench] npm run bench:logs");
run("npm", ["run", "--silent", "bench:logs"]);
console.log("[bench] npm run bench:deploy");
run("npm", ["run", "--silent", "bench:deploy"]);
