// Self-signed certificates for TLS tests on loopback, made with openssl, and the certificate pin
// (sha256 of the public key's SPKI DER) computed with the recipe docs/dev/agent-protocol.md gives.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
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

export interface TestCa {
  /** The CA's PEM certificate: what a client trusts. */
  root: string;
  /** A leaf for `names` (DNS SANs) signed by this CA, its PEM key and certificate. */
  issue(names: string[], label?: string): { key: string; cert: string };
}

/** A throwaway CA (openssl) for tests of uploaded certificates: its root and leaves it signs. */
export function makeTestCa(dir: string, name: string): TestCa {
  const caKey = join(dir, `${name}-ca.key`);
  const caCert = join(dir, `${name}-ca.crt`);
  // biome-ignore format: openssl's options read best in pairs
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-subj", `/CN=capstan-test-ca-${name}`, "-days", "2", "-keyout", caKey, "-out", caCert,
  ], { stdio: "pipe" });
  let serial = 0;
  return {
    root: readFileSync(caCert, "utf8"),
    issue(names, label = `leaf${++serial}`) {
      const key = join(dir, `${name}-${label}.key`);
      const csr = join(dir, `${name}-${label}.csr`);
      const cert = join(dir, `${name}-${label}.crt`);
      const ext = join(dir, `${name}-${label}.ext`);
      writeFileSync(ext, `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\n`);
      // biome-ignore format: openssl's options read best in pairs
      execFileSync("openssl", [
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-subj", `/CN=${names[0]}`, "-keyout", key, "-out", csr,
      ], { stdio: "pipe" });
      // biome-ignore format: openssl's options read best in pairs
      execFileSync("openssl", [
        "x509", "-req", "-in", csr, "-CA", caCert, "-CAkey", caKey, "-CAcreateserial",
        "-days", "1", "-extfile", ext, "-out", cert,
      ], { stdio: "pipe" });
      return { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") };
    },
  };
}
