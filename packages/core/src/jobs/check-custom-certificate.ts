// An uploaded certificate (`tls: { issuer: custom }`) is checked when a host claims the job, the
// first moment its secrets are decrypted: the PEMs parse, the key is the certificate's, and the
// certificate covers every domain of the job's services. A bad upload fails the job with what is
// wrong instead of Caddy serving a certificate browsers refuse. Messages never quote the PEMs.
// The secrets hold the PEMs base64-encoded (secrets are single-line).
import { createPrivateKey, X509Certificate } from "node:crypto";

/**
 * Secrets are single-line (secret-rules.ts), so the PEM is stored base64-encoded
 * (`base64 -w0 cert.pem`); a value that already is PEM text is taken as it is.
 */
export function decodePemSecret(value: string): string {
  const text = value.trimStart().startsWith("-----BEGIN")
    ? value
    : Buffer.from(value, "base64").toString("utf8");
  return text.trim().endsWith("-----") ? `${text.trim()}\n` : text;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Throws an Error saying what is wrong with the uploaded certificate, naming the secrets. */
export function checkCustomCertificate(
  pems: { certificate: string; key: string },
  secrets: { certificate: string; key: string },
  names: string[],
  now = new Date(),
): void {
  const blocks = pems.certificate.match(PEM_CERTIFICATE) ?? [];
  let leaf: X509Certificate;
  try {
    if (blocks.length === 0) throw new Error("no PEM certificate block");
    leaf = new X509Certificate(blocks[0]!);
    for (const block of blocks.slice(1)) new X509Certificate(block);
  } catch {
    throw new Error(
      `secret ${secrets.certificate} (tls.certificate) is not a PEM certificate: store the PEM certificate (leaf first, then its chain) base64-encoded: base64 -w0 cert.pem`,
    );
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(pems.key);
  } catch {
    throw new Error(
      `secret ${secrets.key} (tls.key) is not an unencrypted PEM private key: store the PEM key base64-encoded: base64 -w0 key.pem (remove any passphrase first)`,
    );
  }
  if (!leaf.checkPrivateKey(key))
    throw new Error(
      `the key in secret ${secrets.key} does not belong to the certificate in secret ${secrets.certificate}`,
    );
  if (Date.parse(leaf.validTo) < now.getTime())
    throw new Error(`the certificate in secret ${secrets.certificate} expired on ${leaf.validTo}`);
  const uncovered = names.filter((name) => leaf.checkHost(name) === undefined);
  if (uncovered.length > 0)
    throw new Error(
      `the certificate in secret ${secrets.certificate} does not cover ${uncovered.join(", ")}: it is for ${leaf.subjectAltName ?? leaf.subject}`,
    );
}
