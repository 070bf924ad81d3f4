// Certificate pinning for the agent: `sha256:<hex>` of the control plane's SubjectPublicKeyInfo
// (the form `curl --pinnedpubkey` takes, and one that survives certificate renewals that keep the
// key). Checked on every TLS connection after the usual chain and host name checks; pinned
// requests get their own connection pool, so a socket opened without the pin is never reused.
import { createHash, X509Certificate } from "node:crypto";
import { Agent } from "node:https";
import { checkServerIdentity, type PeerCertificate } from "node:tls";

export const PIN_PATTERN = /^sha256:[0-9a-f]{64}$/;

export class CertificatePinError extends Error {
  override name = "CertificatePinError";
}

/**
 * `sha256:<hex>` of a certificate's SubjectPublicKeyInfo DER. From the whole certificate: the
 * peer certificate's `pubkey` is the bare key (for EC, only the curve point), not the SPKI.
 */
export function spkiPin(cert: Pick<PeerCertificate, "raw">): string {
  if (!cert.raw) return "none";
  const spki = new X509Certificate(cert.raw).publicKey.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(spki).digest("hex")}`;
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
