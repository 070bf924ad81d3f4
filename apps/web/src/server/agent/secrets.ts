// Resolves a job's secrets when an agent claims it. The keyring is read on each call (it is
// cached by getKeyring), so a missing or broken key fails that deploy with a clear message
// instead of failing module import or deploying empty values.
import "server-only";
import type { SecretResolver } from "@capstan/core/jobs/claim-job";
import { resolveSecrets } from "@capstan/core/secrets/resolve-secrets";
import { prisma } from "@/server/db";
import { getKeyring } from "@/server/keyring";

export const resolveJobSecrets: SecretResolver = (args) => resolveSecrets(prisma, getKeyring(), args);
