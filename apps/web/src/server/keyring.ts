// The secrets keyring of this control plane, built once from CAPSTAN_SECRETS_KEY or
// CAPSTAN_SECRETS_KEY_FILE (validated by the env module). Null when neither is set: secret
// writes then answer UNAVAILABLE with how to fix it, and everything else keeps working.
import "server-only";
import { type Keyring, loadKeyring } from "@capstan/core/secrets/keyring";
import { env } from "@/env";

let cached: { keyring: Keyring | null } | undefined;

export function getKeyring(): Keyring | null {
  // A broken key throws here on each use (with a message naming the variable, never the key),
  // rather than at import, so the rest of the dashboard stays usable.
  cached ??= {
    keyring: loadKeyring({ value: env.CAPSTAN_SECRETS_KEY, file: env.CAPSTAN_SECRETS_KEY_FILE }),
  };
  return cached.keyring;
}
