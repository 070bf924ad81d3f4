// Uploaded certificates checked with real PEMs from a throwaway CA (openssl): a matching key and
// covering names pass; garbage, a key of another certificate and a name the certificate does not
// cover are refused with a message naming the secret, and never quoting the PEMs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTestCa } from "@capstan/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { checkCustomCertificate } from "./check-custom-certificate";

const dir = mkdtempSync(join(tmpdir(), "capstan-custom-cert-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ca = makeTestCa(dir, "check");
const leaf = ca.issue(["shop.example.com", "www.shop.example.com"]);
const other = ca.issue(["shop.example.com"]);
const secrets = { certificate: "SHOP_CERT", key: "SHOP_KEY" };
const check = (pems: { certificate: string; key: string }, names = ["shop.example.com"]) => {
  try {
    checkCustomCertificate(pems, secrets, names);
    return "OK";
  } catch (error) {
    return (error as Error).message;
  }
};

describe("checkCustomCertificate", () => {
  it("accepts a certificate (with its chain) whose key matches and which covers every name", () => {
    const chain = `${leaf.cert}\n${ca.root}`;
    expect(check({ certificate: chain, key: leaf.key }, ["shop.example.com", "www.shop.example.com"])).toBe(
      "OK",
    );
  });

  it("refuses what is not a PEM, naming the secret", () => {
    expect(check({ certificate: "hello", key: leaf.key })).toMatch(
      /^secret SHOP_CERT \(tls.certificate\) is not a PEM certificate/,
    );
    expect(
      check({ certificate: leaf.cert, key: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----" }),
    ).toMatch(/^secret SHOP_KEY \(tls.key\) is not an unencrypted PEM private key/);
  });

  it("refuses a key of another certificate, without quoting either PEM", () => {
    const message = check({ certificate: leaf.cert, key: other.key });
    expect(message).toBe("the key in secret SHOP_KEY does not belong to the certificate in secret SHOP_CERT");
    expect(message).not.toContain("BEGIN");
  });

  it("refuses a name the certificate does not cover, naming it", () => {
    expect(
      check({ certificate: other.cert, key: other.key }, ["shop.example.com", "api.example.com"]),
    ).toMatch(/does not cover api.example.com: it is for DNS:shop.example.com/);
  });
});
