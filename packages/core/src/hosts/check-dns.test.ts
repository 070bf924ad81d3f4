// The "check DNS" hint against a real DNS server (Pebble's challenge test server answers every
// name with 127.0.0.1): a host whose public address matches is "ok", another address is a
// mismatch naming both, no reported address is "cannot tell", a server that does not answer
// gives "does not resolve" within the timeout. Hostile facts never become an address.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { executable, freePort, type Pebble, requireComponents, startPebble } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkDns, hostAddresses } from "./check-dns";

const ok = requireComponents(
  "check DNS with a real DNS server",
  executable("/usr/bin/pebble"),
  executable("/usr/bin/pebble-challtestsrv"),
);

describe.skipIf(!ok)("check DNS", () => {
  let dir: string;
  let pebble: Pebble;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "capstan-dns-"));
    pebble = await startPebble(dir, { httpPort: await freePort(), tlsPort: await freePort() });
  }, 60_000);
  afterAll(async () => {
    await pebble?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("compares the name's records with the host's public addresses", async () => {
    const servers = [pebble.dnsServer];
    expect(await checkDns("shop.capstan.test", ["127.0.0.1"], { servers })).toEqual({
      state: "ok",
      resolved: ["127.0.0.1"],
      detail: "shop.capstan.test resolves to the host (127.0.0.1)",
    });
    const elsewhere = await checkDns("api.capstan.test", ["198.51.100.7"], { servers });
    expect(elsewhere.state).toBe("mismatch");
    expect(elsewhere.detail).toBe("api.capstan.test resolves to 127.0.0.1, not to the host (198.51.100.7)");
    const unknown = await checkDns("www.capstan.test", [], { servers });
    expect(unknown.state).toBe("unknown");
    expect(unknown.detail).toMatch(/^cannot tell: the host reports no public address/);
  }, 30_000);

  it("says a name does not resolve when the server does not answer, within the timeout", async () => {
    const silent = [`127.0.0.1:${await freePort()}`];
    const hint = await checkDns("gone.capstan.test", ["127.0.0.1"], { servers: silent, timeoutMs: 500 });
    expect(hint).toEqual({
      state: "unresolved",
      resolved: [],
      detail: "gone.capstan.test does not resolve (no A or AAAA record)",
    });
  }, 30_000);

  it("takes only well-formed addresses from the host's facts", () => {
    expect(hostAddresses({ publicAddresses: "203.0.113.9,2001:db8::1" })).toEqual([
      "203.0.113.9",
      "2001:db8::1",
    ]);
    expect(hostAddresses({ publicAddresses: "1.2.3.4;rm -rf /,<b>,x".slice(0, 40) })).toEqual([]);
    expect(hostAddresses({})).toEqual([]);
    expect(hostAddresses(null)).toEqual([]);
  });
});
