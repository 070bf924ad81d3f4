#!/usr/bin/env node
// The `capstan` command. Internal packages are TypeScript source, so the CLI runs through tsx's
// loader (a root devDependency) instead of a build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/main.ts");
process.exitCode = await main(process.argv.slice(2));
