// Reading Caddy's TLS log: the last failure per name since its last success, with the retry time
// of "will retry" lines (the name only in brackets there), and nothing from a line whose name is
// not a DNS name (the log is Caddy's, but its error text comes from the network: the CA's answer).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { publicAddresses } from "../public-addresses";
import { certificateReports, lastAttempts } from "./certificate-state";

const dir = mkdtempSync(join(tmpdir(), "capstan-tls-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line = (o: Record<string, unknown>) => JSON.stringify(o);
const T = 1_780_000_000;

describe("Caddy's TLS log", () => {
  it("keeps the last failure and retry per name, and forgets it after a success", () => {
    const file = join(dir, "tls.log");
    writeFileSync(
      file,
      [
        line({
          level: "error",
          ts: T,
          logger: "tls.obtain",
          msg: "could not get certificate from issuer",
          identifier: "a.capstan.test",
          error: "HTTP 400 connection refused",
        }),
        line({
          level: "error",
          ts: T + 1,
          logger: "tls.obtain",
          msg: "will retry",
          error: "[a.capstan.test] Obtain: HTTP 400 connection refused",
          attempt: 1,
          retrying_in: 60,
        }),
        line({
          level: "error",
          ts: T,
          logger: "tls.obtain",
          msg: "could not get certificate from issuer",
          identifier: "b.capstan.test",
          error: "rate limited",
        }),
        line({
          level: "info",
          ts: T + 5,
          logger: "tls.obtain",
          msg: "certificate obtained successfully",
          identifier: "b.capstan.test",
        }),
        line({
          level: "error",
          ts: T,
          logger: "tls.obtain",
          msg: "could not get certificate from issuer",
          identifier: "../../etc/passwd",
          error: "x",
        }),
        line({
          level: "error",
          ts: T,
          logger: "tls.obtain",
          msg: "will retry",
          error: "[evil;rm -rf /] x",
          retrying_in: 1,
        }),
        "not json",
        '{"truncated',
      ].join("\n"),
    );
    const attempts = lastAttempts(file);
    expect([...attempts.keys()]).toEqual(["a.capstan.test"]);
    expect(attempts.get("a.capstan.test")).toEqual({
      error: "HTTP 400 connection refused",
      at: new Date(T * 1000),
      retryAt: new Date((T + 61) * 1000),
    });
    const [report] = certificateReports([{ name: "a.capstan.test", workflow: "shop", service: "web" }], {
      storage: join(dir, "none"),
      tlsLog: file,
    });
    expect(report).toEqual({
      name: "a.capstan.test",
      workflow: "shop",
      service: "web",
      status: "failed",
      lastError: "HTTP 400 connection refused",
      lastErrorAt: new Date(T * 1000).toISOString(),
      retryAt: new Date((T + 61) * 1000).toISOString(),
    });
  });

  it("reports a routed name without certificate or attempt as pending; no log is no failure", () => {
    expect(
      certificateReports([{ name: "c.capstan.test", workflow: "shop", service: "web" }], {
        storage: join(dir, "none"),
        tlsLog: join(dir, "missing.log"),
      }),
    ).toEqual([{ name: "c.capstan.test", workflow: "shop", service: "web", status: "pending" }]);
  });
});

describe("public addresses", () => {
  it("keeps global addresses only", () => {
    const i = (address: string, family: "IPv4" | "IPv6", internal = false) =>
      ({ address, family, internal, netmask: "", mac: "", cidr: null }) as never;
    expect(
      publicAddresses({
        lo: [i("127.0.0.1", "IPv4", true), i("::1", "IPv6", true)],
        eth0: [i("10.1.2.3", "IPv4"), i("fe80::1", "IPv6"), i("8.8.4.4", "IPv4"), i("2a01:4f8::1", "IPv6")],
        docker0: [i("172.17.0.1", "IPv4"), i("100.64.1.1", "IPv4")],
      }),
    ).toBe("2a01:4f8::1,8.8.4.4");
  });
});
