import { join } from "node:path";
import { env } from "@/env";

/** The CLI's build output: next to this app in the repository unless CAPSTAN_CLI_DIST_DIR says. */
export function cliDistDir(): string {
  return env.CAPSTAN_CLI_DIST_DIR ?? join(process.cwd(), "..", "cli", "dist");
}
