// The entry point of the single-file build (scripts/build.mjs) and of bin/capstan.js.
import { main } from "./main";

process.exitCode = await main(process.argv.slice(2));
