// Resolves a job's secrets at claim time. Until the secrets store lands, a job that names
// secrets fails at claim with a clear message instead of deploying empty values.
import "server-only";
import type { SecretResolver } from "@capstan/core/jobs/claim-job";

export const resolveJobSecrets: SecretResolver | undefined = undefined;
