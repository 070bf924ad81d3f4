// Self-signed certificates for TLS tests on loopback, made with openssl, and the certificate pin
// (sha256 of the public key's SPKI DER) computed with the recipe docs/agent-protocol.md gives.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCertificate {
  /** PEM private key and certificate, for node:https / node:tls servers. */
  key: string;
  cert: string;
  certFile: string;
  /** `sha256:<hex>` of the SubjectPublicKeyInfo. */
  pin: string;
}

export function makeTestCertificate(dir: string, name: string): TestCertificate {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  // biome-ignore format: openssl's options read best in pairs
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-subj", `/CN=capstan-${name}`, "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1",
    "-keyout", keyFile, "-out", certFile,
  ], { stdio: "pipe" });
  const pubkey = execFileSync("openssl", ["x509", "-in", certFile, "-pubkey", "-noout"]);
  const der = execFileSync("openssl", ["pkey", "-pubin", "-outform", "der"], { input: pubkey });
  const hex = execFileSync("openssl", ["dgst", "-sha256", "-r"], { input: der }).toString().split(" ")[0]!;
  return {
    key: readFileSync(keyFile, "utf8"),
    cert: readFileSync(certFile, "utf8"),
    certFile,
    pin: `sha256:${hex}`,
  };
}
