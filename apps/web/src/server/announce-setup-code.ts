// At start, while nobody has set Capstan up: make this process's one-time setup code and print it
// where only the operator looks (the server log; and a 0600 file when CAPSTAN_SETUP_CODE_FILE is
// set, which `npm start` prints in its banner and the e2e tests read).
import { writeFileSync } from "node:fs";
import { issueSetupCode } from "@capstan/core/auth/setup-code";
import { env } from "@/env";
import { prisma } from "./db";
import { logger } from "./logger";

export async function announceSetupCode(): Promise<void> {
  const code = await issueSetupCode(prisma);
  if (!code) return;
  // Printed outright as well as logged: the operator needs it even with LOG_LEVEL=error.
  console.log(`Capstan is not set up yet. Open /setup and enter the setup code: ${code}`);
  logger.warn("Capstan is not set up yet: the setup code is printed above (it works once)");
  if (env.CAPSTAN_SETUP_CODE_FILE) writeFileSync(env.CAPSTAN_SETUP_CODE_FILE, `${code}\n`, { mode: 0o600 });
}
