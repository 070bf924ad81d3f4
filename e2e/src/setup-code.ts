// The control plane's one-time setup code: global-setup starts it with CAPSTAN_SETUP_CODE_FILE,
// so the server writes the code it printed in its log to this file too.
import { readFileSync } from "node:fs";

export function readSetupCode(): string {
  const file = process.env.CAPSTAN_E2E_SETUP_CODE_FILE;
  if (!file) throw new Error("CAPSTAN_E2E_SETUP_CODE_FILE is not set: run the specs through global-setup");
  return readFileSync(file, "utf8").trim();
}
