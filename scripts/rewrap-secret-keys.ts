// `npm run secrets:rewrap`: after putting a new key first in CAPSTAN_SECRETS_KEY (old keys after
// it), re-wraps every team's data key with the new key. Secrets are not re-encrypted (the data
// keys stay the same). When it reports no failures, the old keys can be dropped from the keyring.
// See docs/user/secrets.md, "Rotating the key-encryption key".
import { createPrismaClient } from "@capstan/db";
import { loadKeyring } from "../packages/core/src/secrets/keyring";
import { rewrapDataKeys } from "../packages/core/src/secrets/rewrap-data-keys";
import { parseDatabaseUrl, readEnv, ToolError } from "./pg-tools";

const env = readEnv();
const log = (message: string) => console.log(`[secrets:rewrap] ${message}`);

async function main(): Promise<void> {
  const conn = parseDatabaseUrl(env.DATABASE_URL);
  const keyring = loadKeyring({ value: env.CAPSTAN_SECRETS_KEY, file: env.CAPSTAN_SECRETS_KEY_FILE });
  if (!keyring)
    throw new ToolError(
      "Set CAPSTAN_SECRETS_KEY or CAPSTAN_SECRETS_KEY_FILE: the new key first, then the old ones.",
    );
  log(`keyring: ${keyring.keyIds.join(", ")} (current: ${keyring.currentKeyId}); database ${conn.label}`);
  const prisma = createPrismaClient({ connectionString: conn.url, poolMax: 2 });
  try {
    const result = await rewrapDataKeys(prisma, keyring);
    log(
      `re-wrapped ${result.rewrapped} team data key(s) with ${result.kekId}; ${result.alreadyCurrent} already used it`,
    );
    for (const failure of result.failed) log(`FAILED team ${failure.teamId}: ${failure.reason}`);
    if (result.failed.length > 0) {
      throw new ToolError(
        `${result.failed.length} team(s) could not be re-wrapped; keep the old keys until they are.`,
      );
    }
    log("every data key uses the current key; older keys may now be removed from CAPSTAN_SECRETS_KEY.");
  } finally {
    await prisma.$disconnect();
  }
}

main().catch((error: unknown) => {
  const message =
    error instanceof Error && (error instanceof ToolError || error.name === "AppError")
      ? error.message
      : (error as Error).stack;
  console.error(`[secrets:rewrap] failed: ${message}`);
  process.exit(1);
});
