import type { PrismaClient } from "@capstan/db";
import type { SecretResolver } from "../jobs/claim-job";
import type { Keyring } from "./keyring";
import { resolveSecrets } from "./resolve-secrets";

/**
 * The job engine's secret resolver (claimJob's `resolveSecrets`). Without a keyring every job
 * that names a secret fails at claim with a message saying the key is missing.
 */
export function createSecretResolver(
  prisma: PrismaClient,
  keyring: Keyring | null | undefined,
): SecretResolver {
  return (args) => resolveSecrets(prisma, keyring, args);
}
