#!/usr/bin/env node
// The `capstan` command run from a checkout: internal packages are TypeScript source, so it goes
// through tsx's loader (a root devDependency). Installed users get dist/capstan.mjs instead.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
