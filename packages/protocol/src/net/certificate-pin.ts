// Certificate pinning for the agent: `sha256:<hex>` of the control plane's SubjectPublicKeyInfo
// (the form `curl --pinnedpubkey` takes, and one that survives certificate renewals that keep the
// key). Checked on every TLS connection after the usual chain and host name checks; pinned
// requests get their own connection pool, so a socket opened without the pin is never reused.
import { createHash } from "node:crypto";
import { Agent } from "node:https";
import { checkServerIdentity, type PeerCertificate } from "node:tls";

export const PIN_PATTERN = /^sha256:[0-9a-f]{64}$/;

export class CertificatePinError extends Error {
  override name = "CertificatePinError";
}

/** `sha256:<hex>` of a certificate's public key (SPKI DER), as node:tls reports it. */
export function spkiPin(cert: Pick<PeerCertificate, "pubkey">): string {
  return cert.pubkey ? `sha256:${createHash("sha256").update(cert.pubkey).digest("hex")}` : "none";
}

const agents = new Map<string, Agent>();

export function pinnedAgent(pin: string): Agent {
  if (!PIN_PATTERN.test(pin)) throw new CertificatePinError("the pin must look like sha256:<64 hex digits>");
  let agent = agents.get(pin);
  if (!agent) {
    agent = new Agent({
      keepAlive: true,
      checkServerIdentity(host, cert) {
        const error = checkServerIdentity(host, cert);
        if (error) return error;
        const actual = spkiPin(cert);
        if (actual !== pin) {
          return new CertificatePinError(
            `certificate pin mismatch: ${host} presented a key with ${actual}, the pin is ${pin}`,
          );
        }
        return undefined;
      },
    });
    agents.set(pin, agent);
  }
  return agent;
}
